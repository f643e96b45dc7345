package analysis

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"

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
	static   staticValues // built-in rules that do not depend on the input, evaluated once

	// The enabled built-in rules grouped by the kinds they read (dispatch.go), each group's
	// query prepared on first use with the compiler and store below.
	byKind     map[string]*ruleSet
	otherKinds *ruleSet // for the kinds no rule names: the rules that declare no kinds
	compiler   *ast.Compiler
	store      storage.Store

	custom       []customRule      // enabled custom rules, each with its own query and deadline
	customKinds  map[string]bool   // the kinds the enabled custom rules read; nil: all
	supersedes   map[rulePair]bool // custom.supersedes of every rule of the catalog
	policyErrors []PolicyError     // custom policy files that were not loaded (or partly), and why

	evaluateAlways bool // tests: Reanalyze evaluates every object again instead of reusing verdicts
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

// prepare compiles the policies once, evaluates the input-free rules, prepares the custom
// rules' queries and works out which kinds the rules read. The built-in rules' queries, one per
// group of rules that read the same kinds, are prepared on first use (dispatch.go).
func (e *Engine) prepare(ctx context.Context, mods, custom map[string]*ast.Module) error {
	compiler, err := e.compile(mods, custom)
	if err != nil {
		return err
	}
	store := inmem.NewFromObject(map[string]any{"kubepolicy": map[string]any{"config": e.cfg.regoData()}})
	e.compiler, e.store = compiler, store
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
