package analysis

import (
	"context"
	"fmt"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/topdown"
)

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

// evalStatic finds the complete rules of mods whose value cannot depend on the input and
// evaluates them.
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
					break
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
		// The compiler works on copies of mods, and its dependency graph knows only those: on the
		// parsed rules, a rule that reads the input only through another rule looks input-free.
		m := compiler.Modules[name]
		if m == nil {
			return staticValues{}, fmt.Errorf("module %s was not compiled", name)
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
