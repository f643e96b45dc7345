package reads

import (
	"strconv"

	"github.com/open-policy-agent/opa/v1/ast"
)

// Project is the projection of an OPA value (an object as the engine converts it) onto s. The
// engine projects while it converts YAML (analysis/convert.go), following the same States;
// this form serves the policy tests, which hand the rules their inputs as OPA values.
func (s *Set) Project(v ast.Value) ast.Value {
	out, _ := s.project(v, s.Start())
	return out
}

// project returns v's projection at st; false when nothing of v is kept.
func (s *Set) project(v ast.Value, st State) (ast.Value, bool) {
	if st.Full() {
		return v, true
	}
	if !st.Live() {
		return nil, false
	}
	switch x := v.(type) {
	case ast.Object:
		out := ast.NewObject()
		x.Foreach(func(k, val *ast.Term) {
			key, ok := k.Value.(ast.String)
			if !ok {
				return
			}
			if pv, kept := s.project(val.Value, s.Step(st, string(key), false)); kept {
				out.Insert(k, ast.NewTerm(pv))
			}
		})
		return out, true
	case *ast.Array:
		terms := make([]*ast.Term, x.Len())
		for i := range x.Len() {
			terms[i] = ast.NullTerm()
			if pv, kept := s.project(x.Elem(i).Value, s.Step(st, strconv.Itoa(i), true)); kept {
				terms[i] = ast.NewTerm(pv)
			}
		}
		return ast.NewArray(terms...), true
	}
	return v, st.Anchored()
}
