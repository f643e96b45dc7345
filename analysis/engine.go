package analysis

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/kube-policy-ls/kube-policy-ls/analysis/fix"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/topdown"

	"github.com/kube-policy-ls/kube-policy-ls/policies"
)

// Engine evaluates a configured rule set. It is immutable and safe for concurrent use; a
// configuration change builds a new Engine.
type Engine struct {
	cfg      Config
	catalog  []Rule          // every known rule, sorted by id
	byID     map[string]Rule // the same, by id
	enabled  []Rule          // the rules evaluated, in query order
	severity map[string]Severity
	query    rego.PreparedEvalQuery
	kinds    map[string]bool // the kinds the enabled built-in rules read (custom.kinds); nil: all
	static   staticValues    // built-in rules that do not depend on the input, evaluated once

	custom       []customRule      // enabled custom rules, each with its own query and deadline
	customKinds  map[string]bool   // the kinds the enabled custom rules read; nil: all
	supersedes   map[rulePair]bool // custom.supersedes of every rule of the catalog
	policyErrors []PolicyError     // custom policy files that were not loaded (or partly), and why
}

// builtin holds the parsed built-in policies: they never change, so parse them once.
var builtin = sync.OnceValues(func() (map[string]*ast.Module, error) {
	return loadModules(policies.FS, ".")
})

// NewEngine prepares the rule set that cfg selects.
func NewEngine(ctx context.Context, cfg Config) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	mods, err := builtin()
	if err != nil {
		return nil, fmt.Errorf("loading built-in policies: %w", err)
	}
	e := &Engine{cfg: cfg, byID: map[string]Rule{}, severity: map[string]Severity{}}
	for _, r := range engineRules {
		e.byID[r.ID] = r
	}
	for _, file := range slices.Sorted(maps.Keys(mods)) {
		r, ok, err := ruleFromModule(file, mods[file])
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		if prev, dup := e.byID[r.ID]; dup {
			return nil, fmt.Errorf("rule id %s is declared by both %s and %s", r.ID, prev.File, r.File)
		}
		e.byID[r.ID] = r
	}
	custom := e.loadCustomRules(mods)
	if err := e.checkSupersedes(custom); err != nil {
		return nil, err
	}
	var unknown ConfigErrors
	for _, id := range slices.Sorted(maps.Keys(cfg.Rules)) {
		if _, ok := e.byID[id]; !ok {
			unknown = append(unknown, errorAt(cfg.src, fmt.Sprintf("rules.%s: unknown rule%s", id, suggest(id, slices.Collect(maps.Keys(e.byID)))), "rules", id))
		}
	}
	if len(unknown) > 0 {
		return nil, unknown
	}
	e.catalog = slices.Collect(maps.Values(e.byID))
	sortRules(e.catalog)
	for _, r := range e.catalog {
		e.severity[r.ID] = r.Severity
		if sev := cfg.Rules[r.ID].Severity; sev != "" {
			e.severity[r.ID], _ = ParseSeverity(sev)
		}
		if r.Package != "" && !r.Custom && e.ruleEnabled(r) {
			e.enabled = append(e.enabled, r)
		}
	}
	if err := e.prepare(ctx, mods, custom); err != nil {
		return nil, err
	}
	return e, nil
}

// loadCustomRules reads the configured policy directories into the catalog, reporting files
// that do not parse, lack rule metadata, reuse a rule id or take over a built-in package.
func (e *Engine) loadCustomRules(builtins map[string]*ast.Module) map[string]*ast.Module {
	custom, errs := loadCustom(e.cfg.Policies, e.cfg.BaseDir)
	e.policyErrors = errs
	for _, file := range slices.Sorted(maps.Keys(custom)) {
		m := custom[file]
		at := PolicyError{File: file, Line: m.Package.Location.Row, Column: m.Package.Location.Col}
		if reservedPackage(m, builtins) {
			at.Msg = fmt.Sprintf("package %s belongs to kube-policy-ls: choose another package", m.Package.Path)
			e.policyErrors = append(e.policyErrors, at)
			delete(custom, file)
			continue
		}
		r, ok, err := ruleFromModule(file, m)
		switch {
		case err != nil:
			at.Msg = err.Error()
		case !ok:
			continue // a library for other custom rules
		case e.byID[r.ID].ID != "":
			at.Msg = fmt.Sprintf("rule id %s is already taken by %s", r.ID, e.byID[r.ID].File)
		}
		if at.Msg != "" {
			e.policyErrors = append(e.policyErrors, at)
			delete(custom, file)
			continue
		}
		r.Custom = true
		if len(r.Profiles) == 0 {
			r.Profiles = Profiles
		}
		e.byID[r.ID] = r
	}
	return custom
}

// PolicyErrors lists the custom policy files that could not be loaded or compiled, and why,
// and the custom.supersedes entries that were ignored. The built-in rules and the other custom
// rules work regardless.
func (e *Engine) PolicyErrors() []PolicyError { return slices.Clone(e.policyErrors) }

// ruleEnabled applies the profile, then the per-rule switch of the configuration.
func (e *Engine) ruleEnabled(r Rule) bool {
	if on := e.cfg.Rules[r.ID].Enabled; on != nil {
		return *on
	}
	return InProfile(r.Profiles, e.cfg.profile())
}

// prepare compiles the policies once, then prepares the query that collects the violations of
// every enabled rule, and works out which kinds the rules read.
func (e *Engine) prepare(ctx context.Context, mods, custom map[string]*ast.Module) error {
	compiler, err := e.compile(mods, custom)
	if err != nil {
		return err
	}
	store := inmem.NewFromObject(map[string]any{"kubepolicy": map[string]any{"config": e.cfg.regoData()}})
	refs := make([]string, len(e.enabled))
	for i, r := range e.enabled {
		refs[i] = r.Package + ".violations"
	}
	pq, err := rego.New(
		rego.Query("["+strings.Join(refs, ", ")+"]"),
		rego.Compiler(compiler), rego.Store(store), rego.SetRegoVersion(ast.RegoV1),
	).PrepareForEval(ctx)
	if err != nil {
		return fmt.Errorf("preparing the policy query: %w", err)
	}
	e.query = pq
	if e.static, err = evalStatic(ctx, compiler, store, mods); err != nil {
		e.static = staticValues{} // evaluate them per object, as before: slower, same results
	}
	for _, file := range slices.Sorted(maps.Keys(custom)) {
		r, ok, _ := ruleFromModule(file, custom[file])
		if !ok || !e.ruleEnabled(e.byID[r.ID]) {
			continue
		}
		pq, err := rego.New(
			rego.Query(r.Package+".violations"),
			rego.Compiler(compiler), rego.Store(store), rego.SetRegoVersion(ast.RegoV1),
		).PrepareForEval(ctx)
		if err != nil {
			e.policyErrors = append(e.policyErrors, astErrors(file, err)...)
			continue
		}
		e.custom = append(e.custom, customRule{rule: e.byID[r.ID], query: pq, line: violationsLine(custom[file])})
	}
	return e.resolveKinds(ctx, compiler, store)
}

// compile compiles the built-in and custom modules against the sandbox's capabilities. A
// custom file that does not compile is reported and left out, and the rest compiled again; a
// built-in that does not compile is a bug, and fatal.
func (e *Engine) compile(mods, custom map[string]*ast.Module) (*ast.Compiler, error) {
	for {
		all := maps.Clone(mods)
		maps.Copy(all, custom)
		compiler := ast.NewCompiler().WithEnablePrintStatements(false).WithCapabilities(sandboxCapabilities())
		if compiler.Compile(all); !compiler.Failed() {
			return compiler, nil
		}
		dropped := false
		for _, pe := range astErrors("", compiler.Errors) {
			if _, ok := custom[pe.File]; ok {
				e.policyErrors = append(e.policyErrors, pe)
				delete(custom, pe.File)
				delete(e.byID, ruleIDOf(pe.File, all[pe.File]))
				dropped = true
			}
		}
		if !dropped {
			return nil, fmt.Errorf("compiling policies: %w", compiler.Errors)
		}
	}
}

// ruleIDOf is the rule id a module declares, or "".
func ruleIDOf(file string, m *ast.Module) string {
	r, _, _ := ruleFromModule(file, m)
	return r.ID
}

// Config returns the configuration the engine was built from.
func (e *Engine) Config() Config { return e.cfg }

// Profile returns the effective profile.
func (e *Engine) Profile() string { return e.cfg.profile() }

// Rules returns the catalog: every known rule, enabled or not, sorted by id.
func (e *Engine) Rules() []Rule { return slices.Clone(e.catalog) }

// Rule returns one rule of the catalog.
func (e *Engine) Rule(id string) (Rule, bool) {
	r, ok := e.byID[id]
	return r, ok
}

// Severity returns the rule's configured severity.
func (e *Engine) Severity(id string) Severity {
	if s, ok := e.severity[id]; ok {
		return s
	}
	return High
}

// violation is one element of a rule's violations set.
type violation struct {
	Path    []any
	Message string
	Fix     []fix.Op
}

// eval runs every enabled rule on one object.
//
// The query's result is read as OPA values (rawTerm), not converted to Go maps and slices
// first, and cancellation follows ctx through context.AfterFunc rather than the goroutine
// that rego starts for every evaluation without an external cancel.
func (e *Engine) eval(ctx context.Context, input ast.Value) ([][]violation, error) {
	cancel := topdown.NewCancel()
	stop := context.AfterFunc(ctx, cancel.Cancel)
	defer stop()
	rs, err := e.query.Eval(ctx, rego.EvalParsedInput(input), rego.EvalExternalCancel(cancel), rego.EvalGenerateJSON(rawTerm),
		rego.EvalVirtualCache(e.static.cache()))
	if err != nil {
		return nil, err
	}
	if len(rs) != 1 || len(rs[0].Expressions) != 1 {
		return nil, fmt.Errorf("policy query returned %d results", len(rs))
	}
	result, _ := rs[0].Expressions[0].Value.(*ast.Term)
	if result == nil {
		return nil, nil
	}
	perRule := termItems(result.Value)
	out := make([][]violation, len(perRule))
	for i, set := range perRule {
		items := termItems(set.Value)
		if len(items) > 0 {
			out[i] = make([]violation, 0, len(items))
		}
		for _, item := range items {
			v, err := decodeViolationTerm(item)
			if err != nil {
				return nil, fmt.Errorf("rule %s: %w", e.enabled[i].ID, err)
			}
			out[i] = append(out[i], v)
		}
	}
	return out, nil
}

// rawTerm hands a query result over as the OPA term itself.
func rawTerm(t *ast.Term, _ *rego.EvalContext) (any, error) { return t, nil }

// termItems lists what the JSON conversion of v would give as a list: an array's elements, a
// set's members in its iteration order; nil for anything else.
func termItems(v ast.Value) []*ast.Term {
	switch x := v.(type) {
	case *ast.Array:
		items := make([]*ast.Term, 0, x.Len())
		x.Foreach(func(t *ast.Term) { items = append(items, t) })
		return items
	case ast.Set:
		items := make([]*ast.Term, 0, x.Len())
		_ = x.Iter(func(t *ast.Term) error {
			items = append(items, t)
			return nil
		})
		return items
	}
	return nil
}

// decodeViolationTerm is decodeViolation on the OPA value: the usual shape (an object with an
// array path of strings and integers, a string message and an array of fix objects) is read
// directly; anything else takes the JSON conversion and decodeViolation, for the same result.
func decodeViolationTerm(item *ast.Term) (violation, error) {
	if v, ok := plainViolation(item); ok {
		return v, nil
	}
	x, err := ast.JSON(item.Value)
	if err != nil {
		return violation{}, err
	}
	return decodeViolation(x)
}

var (
	keyPath    = ast.StringTerm("path")
	keyMessage = ast.StringTerm("message")
	keyFix     = ast.StringTerm("fix")
	keyOp      = ast.StringTerm("op")
	keyValue   = ast.StringTerm("value")
)

// plainViolation decodes a violation of the usual shape; ok is false for any other.
func plainViolation(item *ast.Term) (violation, bool) {
	obj, ok := item.Value.(ast.Object)
	if !ok {
		return violation{}, false
	}
	path, ok := plainPath(obj.Get(keyPath))
	if !ok {
		return violation{}, false
	}
	msg, ok := termString(obj.Get(keyMessage))
	if !ok || msg == "" {
		return violation{}, false
	}
	v := violation{Path: path, Message: msg}
	fixTerm := obj.Get(keyFix)
	if fixTerm == nil {
		return v, true
	}
	ops, ok := fixTerm.Value.(*ast.Array)
	if !ok {
		return violation{}, false
	}
	for i := range ops.Len() {
		fo, ok := ops.Elem(i).Value.(ast.Object)
		if !ok {
			return violation{}, false
		}
		op := fix.Op{}
		if op.Op, ok = termString(fo.Get(keyOp)); !ok || (op.Op != "set" && op.Op != "add" && op.Op != "remove") {
			return violation{}, false
		}
		if op.Path, ok = plainPath(fo.Get(keyPath)); !ok {
			return violation{}, false
		}
		if val := fo.Get(keyValue); val != nil {
			x, err := ast.JSON(val.Value)
			if err != nil {
				return violation{}, false
			}
			op.Value = plainJSON(x)
		}
		v.Fix = append(v.Fix, op)
	}
	return v, true
}

// plainPath decodes an array of strings and integers as decodePath does; ok is false for any
// other path (a set, an element of another type), which decodePath then handles.
func plainPath(t *ast.Term) ([]any, bool) {
	if t == nil {
		return nil, false
	}
	arr, ok := t.Value.(*ast.Array)
	if !ok {
		return nil, false
	}
	out := make([]any, 0, arr.Len())
	for i := range arr.Len() {
		switch x := arr.Elem(i).Value.(type) {
		case ast.String:
			out = append(out, string(x))
		case ast.Number:
			n, err := json.Number(x).Int64()
			if err != nil {
				return nil, false
			}
			out = append(out, int(n))
		default:
			return nil, false
		}
	}
	return out, true
}

func termString(t *ast.Term) (string, bool) {
	if t == nil {
		return "", false
	}
	s, ok := t.Value.(ast.String)
	return string(s), ok
}

func decodeViolation(item any) (violation, error) {
	m, ok := item.(map[string]any)
	if !ok {
		return violation{}, fmt.Errorf("violation is %T, want an object", item)
	}
	v := violation{Path: decodePath(m["path"])}
	v.Message, _ = m["message"].(string)
	if v.Message == "" {
		return violation{}, fmt.Errorf("violation has no message")
	}
	fixes, _ := m["fix"].([]any)
	for _, f := range fixes {
		fm, ok := f.(map[string]any)
		if !ok {
			return violation{}, fmt.Errorf("fix operation is %T, want an object", f)
		}
		op := fix.Op{Path: decodePath(fm["path"]), Value: plainJSON(fm["value"])}
		op.Op, _ = fm["op"].(string)
		switch op.Op {
		case "set", "add", "remove":
		default:
			return violation{}, fmt.Errorf("fix operation %q: want set, add or remove", op.Op)
		}
		v.Fix = append(v.Fix, op)
	}
	return v, nil
}

// decodePath turns a JSON path from Rego into strings and ints.
func decodePath(p any) []any {
	list, _ := p.([]any)
	out := make([]any, 0, len(list))
	for _, s := range list {
		switch x := s.(type) {
		case string:
			out = append(out, x)
		case json.Number:
			if i, err := x.Int64(); err == nil {
				out = append(out, int(i))
			} else {
				out = append(out, x.String())
			}
		}
	}
	return out
}

// plainJSON replaces json.Number with int64 or float64 so values print naturally.
func plainJSON(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plainJSON(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = plainJSON(e)
		}
		return out
	}
	return v
}

// staticValues holds the values of the built-in complete rules that cannot depend on the input
// (the configuration helpers such as lib.profile or lib.k8s_minor, constant sets and lists):
// they are the same for every object an engine evaluates, so they are computed once, when the
// engine is prepared, instead of once per object.
type staticValues struct {
	seed  topdown.VirtualCache // read-only once built: shared by concurrent evaluations
	names map[ast.String]bool  // last terms of the seeded refs: a quick filter for Get
}

// cache is the virtual cache for one evaluation.
func (s staticValues) cache() topdown.VirtualCache {
	return &seededCache{static: s, inner: topdown.NewVirtualCache()}
}

// seededCache answers the seeded refs from the engine's values and caches everything else for
// one evaluation, as OPA's own cache does. Inside a 'with' (which pushes a frame, and may
// replace data or input) only the evaluation's own values count.
type seededCache struct {
	static staticValues
	inner  topdown.VirtualCache
	depth  int
}

func (c *seededCache) Push() { c.depth++; c.inner.Push() }
func (c *seededCache) Pop()  { c.depth--; c.inner.Pop() }

func (c *seededCache) Get(ref ast.Ref) (*ast.Term, bool) {
	if c.depth == 0 && len(ref) > 0 {
		if last, ok := ref[len(ref)-1].Value.(ast.String); ok && c.static.names[last] {
			if v, undefined := c.static.seed.Get(ref); v != nil || undefined {
				return v, undefined
			}
		}
	}
	return c.inner.Get(ref)
}

func (c *seededCache) Put(ref ast.Ref, v *ast.Term) { c.inner.Put(ref, v) }
func (c *seededCache) Keys() []ast.Ref              { return c.inner.Keys() }

// evalStatic finds the complete rules of mods (by name, as compiled by compiler) whose value
// cannot depend on the input and evaluates them.
func evalStatic(ctx context.Context, compiler *ast.Compiler, store storage.Store, mods map[string]*ast.Module) (staticValues, error) {
	free := map[*ast.Rule]bool{}
	var inputFree func(r *ast.Rule) bool
	inputFree = func(r *ast.Rule) bool {
		if v, ok := free[r]; ok {
			return v
		}
		free[r] = false // Rego has no recursion; a cycle would not be input-free anyway
		ok := true
		for x := r; x != nil && ok; x = x.Else { // else rules are graph nodes of their own
			ok = ownInputFree(x)
			for dep := range compiler.Graph.Dependencies(x) {
				if !ok {
					break // a rule that reads the input is not made input-free by its dependencies
				}
				d, isRule := dep.(*ast.Rule)
				ok = isRule && inputFree(d)
			}
		}
		free[r] = ok
		return ok
	}
	byPath := map[string][]*ast.Rule{}
	var paths []ast.Ref
	for name := range mods {
		// The compiled module: the compiler copies the modules it is given, and its dependency
		// graph knows only the copies (for a parsed rule it answers "no dependencies").
		m := compiler.Modules[name]
		if m == nil {
			continue
		}
		for _, r := range m.Rules {
			if len(r.Head.Args) > 0 || r.Head.RuleKind() != ast.SingleValue || !r.Head.Ref().IsGround() {
				continue
			}
			path := r.Ref() // ground (checked above), so the same as the deprecated Path()
			key := path.String()
			if byPath[key] == nil {
				paths = append(paths, path)
			}
			byPath[key] = append(byPath[key], r)
		}
	}
	var seeded []ast.Ref
	var query []string
	for _, path := range paths {
		ok := true
		for _, r := range byPath[path.String()] {
			ok = ok && inputFree(r)
		}
		if ok {
			query = append(query, fmt.Sprintf("[x | x := %v]", path))
			seeded = append(seeded, path)
		}
	}
	s := staticValues{seed: topdown.NewVirtualCache(), names: map[ast.String]bool{}}
	if len(seeded) == 0 {
		return s, nil
	}
	pq, err := rego.New(rego.Query("["+strings.Join(query, ", ")+"]"), rego.Compiler(compiler), rego.Store(store), rego.SetRegoVersion(ast.RegoV1)).PrepareForEval(ctx)
	if err != nil {
		return s, err
	}
	rs, err := pq.Eval(ctx, rego.EvalGenerateJSON(rawTerm))
	if err != nil {
		return s, err
	}
	if len(rs) != 1 || len(rs[0].Expressions) != 1 {
		return s, fmt.Errorf("query returned %d results", len(rs))
	}
	values, ok := rs[0].Expressions[0].Value.(*ast.Term).Value.(*ast.Array)
	if !ok || values.Len() != len(seeded) {
		return s, fmt.Errorf("unexpected result %v", rs[0].Expressions[0].Value)
	}
	for i, path := range seeded {
		v := values.Elem(i).Value.(*ast.Array)
		if v.Len() == 1 {
			s.seed.Put(path, v.Elem(0))
		} else {
			s.seed.Put(path, nil) // undefined
		}
		s.names[path[len(path)-1].Value.(ast.String)] = true
	}
	return s, nil
}

// ownInputFree reports whether a rule body (not its dependencies) leaves the input alone: no
// reference to input, no 'with', no non-deterministic built-in.
func ownInputFree(r *ast.Rule) bool {
	ok := true
	ast.WalkTerms(r, func(t *ast.Term) bool {
		if v, isVar := t.Value.(ast.Var); isVar && v.Equal(ast.InputRootDocument.Value) {
			ok = false
		}
		return !ok
	})
	ast.WalkExprs(r, func(e *ast.Expr) bool {
		if len(e.With) > 0 {
			ok = false
		}
		if e.IsCall() {
			if b, found := ast.BuiltinMap[e.Operator().String()]; found && b.Nondeterministic {
				ok = false
			}
		}
		return !ok
	})
	return ok
}
