package analysis

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/kube-policy-ls/kube-policy-ls/analysis/reads"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
)

// Per-kind dispatch: an object is evaluated with only the enabled built-in rules that read its
// kind (custom.kinds), not with every enabled rule. Under the all profile a ConfigMap would
// otherwise run some 56 rules of which two read ConfigMaps, and a Deployment the RBAC, Service
// and Ingress rules, each of which only fails its kind test: interpretive overhead that made
// `check --profile all` cost over 1.3 times `--profile default`.
//
// The kinds that have the same readers share one ruleSet, so a profile has a handful of sets
// (the workload kinds, the RBAC kinds, Service, ...), and each set's query is prepared on its
// first use: building an engine costs what it did, and a set that no object needs (no Ingress
// in the workspace) is never prepared.

// ruleSet is a distinct group of enabled built-in rules with the query that evaluates exactly
// them.
type ruleSet struct {
	rules []int // indices into Engine.enabled, ascending: findings keep the engine's rule order
	// reads is the union of what the rules read (custom.reads): objects are evaluated on their
	// projection onto it, and an unchanged projection keeps its verdict. nil when a rule of the
	// set declares nothing: the whole object, evaluated every time.
	reads *reads.Set

	once  sync.Once
	query rego.PreparedEvalQuery
	err   error
}

// groupRules maps every kind an enabled rule names (KindWorkloads expanded) to the rules that
// read it, rules without kinds included, one shared ruleSet per distinct group; other is the
// set for the kinds no rule names: the rules without kinds, nil when there are none (such
// objects are then not evaluated at all).
func groupRules(enabled []Rule, workloads []string) (byKind map[string]*ruleSet, other *ruleSet) {
	members := map[string][]int{}
	var kindless []int
	for i, r := range enabled {
		if len(r.Kinds) == 0 {
			kindless = append(kindless, i)
		}
		for _, k := range r.Kinds {
			kinds := []string{k}
			if k == KindWorkloads {
				kinds = workloads
			}
			for _, k := range kinds {
				if _, ok := members[k]; !ok {
					members[k] = []int{}
				}
			}
		}
	}
	// A second pass, so that each kind's list is in rule order with the kindless rules (which
	// read every kind) in their places, and a rule naming a kind twice (workloads and Pod) is
	// listed once.
	for i, r := range enabled {
		for k, list := range members {
			if (len(r.Kinds) == 0 || declaresKind(r.Kinds, k, workloads)) && (len(list) == 0 || list[len(list)-1] != i) {
				members[k] = append(list, i)
			}
		}
	}
	shared := map[string]*ruleSet{}
	set := func(rules []int) *ruleSet {
		key := setKey(rules)
		if s, ok := shared[key]; ok {
			return s
		}
		s := &ruleSet{rules: rules, reads: readsOf(enabled, rules)}
		shared[key] = s
		return s
	}
	byKind = make(map[string]*ruleSet, len(members))
	for k, list := range members {
		byKind[k] = set(list)
	}
	if len(kindless) > 0 {
		other = set(kindless)
	}
	return byKind, other
}

// declaresKind reports whether a rule's declared kinds include kind.
func declaresKind(declared []string, kind string, workloads []string) bool {
	for _, k := range declared {
		if k == kind || (k == KindWorkloads && slices.Contains(workloads, kind)) {
			return true
		}
	}
	return false
}

// readsOf compiles the union of what the rules read; nil when one of them declares nothing.
func readsOf(enabled []Rule, rules []int) *reads.Set {
	var paths []string
	for _, i := range rules {
		if len(enabled[i].Reads) == 0 {
			return nil
		}
		paths = append(paths, enabled[i].Reads...)
	}
	set, err := reads.Parse(paths)
	if err != nil { // readKnowledge parsed each rule's paths already
		return nil
	}
	return set
}

// setKey identifies a group of rule indices.
func setKey(rules []int) string {
	var b strings.Builder
	for _, i := range rules {
		b.WriteString(strconv.Itoa(i))
		b.WriteByte(',')
	}
	return b.String()
}

// rulesFor is the set of enabled built-in rules that read kind; nil when none does.
func (e *Engine) rulesFor(kind string) *ruleSet {
	if s, ok := e.byKind[kind]; ok {
		return s
	}
	return e.otherKinds
}

// prepared returns the set's query, preparing it on first use. Only the query is compiled: the
// rules were compiled once, into the compiler every set shares. The preparation ignores the
// caller's cancellation, because its result (or its error) serves every later caller.
func (e *Engine) prepared(ctx context.Context, s *ruleSet) (rego.PreparedEvalQuery, error) {
	s.once.Do(func() {
		refs := make([]string, len(s.rules))
		for i, r := range s.rules {
			refs[i] = e.enabled[r].Package + ".violations"
		}
		s.query, s.err = rego.New(
			rego.Query("["+strings.Join(refs, ", ")+"]"),
			rego.Compiler(e.compiler), rego.Store(e.store), rego.SetRegoVersion(ast.RegoV1),
		).PrepareForEval(context.WithoutCancel(ctx))
		if s.err != nil {
			s.err = fmt.Errorf("preparing the policy query: %w", s.err)
		}
	})
	return s.query, s.err
}
