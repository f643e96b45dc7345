package analysis

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/kube-policy-ls/kube-policy-ls/analysis/reads"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
)

// What the engine knows about a rule beyond its findings comes from the rule's own METADATA
// (custom.kinds, custom.supersedes, custom.fixPreferred), never from a list in Go, so that a
// custom policy gets the same treatment as a built-in one: which objects are evaluated at all,
// which of two findings on one field is reported, which quick fix an editor may apply alone.

// KindWorkloads in custom.kinds stands for every kind that carries a pod spec: the kinds
// policies/lib knows (lib.workload_kinds) and the configured podSpecPaths kinds.
const KindWorkloads = "workloads"

// readKnowledge reads custom.kinds, custom.reads, custom.supersedes and custom.fixPreferred
// into r.
func (r *Rule) readKnowledge(custom map[string]any) error {
	if v, ok := custom["kinds"]; ok {
		kinds, err := metadataStrings(v)
		if err == nil && len(kinds) == 0 {
			err = errors.New("is empty: leave it out for a rule that reads every kind")
		}
		if err != nil {
			return fmt.Errorf("custom.kinds %w", err)
		}
		r.Kinds = kinds
	}
	if v, ok := custom["reads"]; ok {
		paths, err := metadataStrings(v)
		if err == nil && len(paths) == 0 {
			err = errors.New("is empty: leave it out for a rule that reads the whole object")
		}
		if err == nil {
			_, err = reads.Parse(paths)
		}
		if err != nil {
			return fmt.Errorf("custom.reads %w", err)
		}
		r.Reads = paths
	}
	if v, ok := custom["supersedes"]; ok {
		ids, err := metadataStrings(v)
		if err == nil && slices.Contains(ids, r.ID) {
			err = errors.New("names the rule itself")
		}
		if err != nil {
			return fmt.Errorf("custom.supersedes %w", err)
		}
		r.Supersedes = ids
	}
	r.FixPreferred = true
	if v, ok := custom["fixPreferred"]; ok {
		b, isBool := v.(bool)
		if !isBool {
			return fmt.Errorf("custom.fixPreferred is %v, want true or false", v)
		}
		r.FixPreferred = b
	}
	return nil
}

// metadataStrings reads a METADATA list of non-empty strings.
func metadataStrings(v any) ([]string, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("is %v, want a list", v)
	}
	out := make([]string, 0, len(list))
	for _, x := range list {
		s, ok := x.(string)
		if !ok || s == "" {
			return nil, fmt.Errorf("has %v, want non-empty strings", x)
		}
		out = append(out, s)
	}
	return out, nil
}

// rulePair is a (more specific, more general) pair of rule ids.
type rulePair struct{ specific, general string }

// checkSupersedes makes sure every rule a rule supersedes exists and does not supersede it in
// turn (both findings would go). A built-in rule that breaks this is a bug; a custom rule's
// bad entry is reported on its file and ignored, and the rule still runs. Then it records the
// pairs dedupe looks up.
func (e *Engine) checkSupersedes(custom map[string]*ast.Module) error {
	for _, id := range slices.Sorted(maps.Keys(e.byID)) {
		r := e.byID[id]
		kept := r.Supersedes[:0:0]
		for _, g := range r.Supersedes {
			msg := ""
			if general, ok := e.byID[g]; !ok {
				msg = fmt.Sprintf("rule %s: custom.supersedes names the unknown rule %s%s", id, g, suggest(g, slices.Collect(maps.Keys(e.byID))))
			} else if slices.Contains(general.Supersedes, id) {
				msg = fmt.Sprintf("rule %s: custom.supersedes names %s, which supersedes %s: one of them must be the more specific", id, g, id)
			}
			if msg == "" {
				kept = append(kept, g)
				continue
			}
			m, ok := custom[r.File]
			if !r.Custom || !ok {
				return fmt.Errorf("%s: %s", r.File, msg)
			}
			e.policyErrors = append(e.policyErrors, PolicyError{File: r.File, Line: m.Package.Location.Row, Column: m.Package.Location.Col, Msg: msg})
		}
		r.Supersedes = kept
		e.byID[id] = r
	}
	e.supersedes = map[rulePair]bool{}
	for _, r := range e.byID {
		for _, g := range r.Supersedes {
			e.supersedes[rulePair{r.ID, g}] = true
		}
	}
	return nil
}

// dedupe drops a general finding when a rule that supersedes it flagged the same object at
// the same path, or one inside it.
func (e *Engine) dedupe(fs []Finding) []Finding {
	if len(fs) < 2 || len(e.supersedes) == 0 {
		return fs
	}
	out := fs[:0]
	for i, f := range fs {
		if !e.shadowed(fs, i) {
			out = append(out, f)
		}
	}
	return out
}

func (e *Engine) shadowed(fs []Finding, i int) bool {
	f := fs[i]
	for j, g := range fs {
		if j == i || g.Object != f.Object || !slices.Equal(g.Item, f.Item) {
			continue
		}
		if e.supersedes[rulePair{g.Rule, f.Rule}] && (hasPrefix(g.Path, f.Path) || hasPrefix(f.Path, g.Path)) {
			return true
		}
	}
	return false
}

// FixPreferred reports whether f's fix is the one to apply without a second thought: f has a
// fix and its rule does not say otherwise (custom.fixPreferred: false marks a fix that inserts
// a guessed value, such as a resource amount or a UID, which depends on the workload).
func (e *Engine) FixPreferred(f Finding) bool {
	if !f.Fixable() {
		return false
	}
	r, ok := e.byID[f.Rule]
	return !ok || r.FixPreferred
}

// resolveKinds computes, once per engine, which enabled built-in rules read each kind (so that
// each object costs a map lookup, a CRD no rule reads costs nothing, and an object runs only
// its kind's rules) and which kinds each enabled custom rule reads.
func (e *Engine) resolveKinds(ctx context.Context, compiler *ast.Compiler, store storage.Store) error {
	rs, err := rego.New(
		rego.Query("data.kubepolicy.lib.workload_kinds"),
		rego.Compiler(compiler), rego.Store(store), rego.SetRegoVersion(ast.RegoV1),
	).Eval(ctx)
	if err != nil {
		return fmt.Errorf("reading the workload kinds: %w", err)
	}
	var workloads []string
	if len(rs) == 1 && len(rs[0].Expressions) == 1 {
		list, _ := rs[0].Expressions[0].Value.([]any)
		for _, k := range list {
			if s, ok := k.(string); ok {
				workloads = append(workloads, s)
			}
		}
	}
	e.byKind, e.otherKinds = groupRules(e.enabled, workloads)
	custom := make([]Rule, len(e.custom))
	for i := range e.custom {
		custom[i] = e.custom[i].rule
		e.custom[i].kinds = kindSet(custom[i:i+1], workloads)
	}
	e.customKinds = kindSet(custom, workloads)
	return nil
}

// kindSet is the set of kinds the rules read, KindWorkloads expanded; nil (every kind) when
// one of them declares no kinds.
func kindSet(rules []Rule, workloads []string) map[string]bool {
	set := map[string]bool{}
	for _, r := range rules {
		if len(r.Kinds) == 0 {
			return nil
		}
		for _, k := range r.Kinds {
			if k == KindWorkloads {
				for _, w := range workloads {
					set[w] = true
				}
			} else {
				set[k] = true
			}
		}
	}
	return set
}

// inspects reports whether an enabled built-in rule reads objects of this kind.
func (e *Engine) inspects(kind string) bool {
	return e.rulesFor(kind) != nil
}

// customInspects reports whether an enabled custom rule reads objects of this kind.
func (e *Engine) customInspects(kind string) bool {
	return len(e.custom) > 0 && (e.customKinds == nil || e.customKinds[kind])
}

// reads reports whether the custom rule reads objects of this kind.
func (c *customRule) reads(kind string) bool {
	return c.kinds == nil || c.kinds[kind]
}
