package analysis

import (
	"context"
	"slices"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
)

// TestStaticValuesFollowDependencies: a complete rule is evaluated once per engine only when
// neither it nor any rule it reads depends on the input. A rule that reads the input through
// another rule (has_tls through spec) must be evaluated per object, with or without input-free
// rules among its dependencies (spec reads lib-like helpers too).
func TestStaticValuesFollowDependencies(t *testing.T) {
	t.Parallel()
	src := `package kubepolicy.rules.x

obj(x) := x if is_object(x)

else := {}

spec := obj(object.get(input, "spec", {}))

has_tls if "tls" in object.keys(spec)

tls_path := ["spec", "tls"] if has_tls

else := ["spec"]

limit := 3

double := limit * 2
`
	m, err := ast.ParseModuleWithOpts("x.rego", src, ast.ParserOptions{RegoVersion: ast.RegoV1})
	if err != nil {
		t.Fatal(err)
	}
	mods := map[string]*ast.Module{"x.rego": m}
	compiler := ast.NewCompiler()
	if compiler.Compile(mods); compiler.Failed() {
		t.Fatal(compiler.Errors)
	}
	s, err := evalStatic(context.Background(), compiler, inmem.New(), mods)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for n := range s.names {
		names = append(names, string(n))
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"double", "limit"}) {
		t.Errorf("static rules %v, want [double limit]", names)
	}
	if v, _ := s.seed.Get(ast.MustParseRef("data.kubepolicy.rules.x.double")); v == nil || !v.Equal(ast.IntNumberTerm(6)) {
		t.Errorf("double = %v, want 6", v)
	}
}
