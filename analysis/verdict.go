package analysis

import (
	"context"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"
)

// A verdict is what a set of built-in rules said about one object, kept with the projection of
// the object they were evaluated on (package reads). The rules see nothing but the projection,
// so another object with an equal projection gets the same violations: paths, messages, fixes.
// Reanalyze hands the verdicts of the documents an edit replaced to the analysis of the new
// ones, so that typing in a field no rule reads (an env value, an image, a label) costs a parse
// and a conversion, not an evaluation. Everything that depends on the text, not on the
// projection (ranges, suppressions, dedupe), is computed afresh as in a first analysis.
type verdict struct {
	set     *ruleSet
	input   ast.Value
	perRule [][]violation
}

// verdicts are earlier verdicts by the hash of their input.
type verdicts map[int][]*verdict

// find returns the violations an earlier evaluation of set on an equal input found.
func (vs verdicts) find(set *ruleSet, input ast.Value) ([][]violation, bool) {
	for _, v := range vs[input.Hash()] {
		if v.set == set && v.input.Compare(input) == 0 {
			return v.perRule, true
		}
	}
	return nil, false
}

// verdictsAround collects the verdicts of prev's documents that overlap the bytes [start, end)
// of prev's text: the documents an edit there replaced. nil when reuse is off.
func (e *Engine) verdictsAround(prev *Result, start, end int) verdicts {
	if e.evaluateAlways {
		return nil
	}
	var vs verdicts
	for _, d := range prev.Docs {
		if d.Doc.Offset > end || d.Doc.Offset+len(d.Doc.Text) < start {
			continue
		}
		for _, v := range d.verdicts {
			if vs == nil {
				vs = verdicts{}
			}
			h := v.input.Hash()
			vs[h] = append(vs[h], v)
		}
	}
	return vs
}

// evalBuiltin evaluates the rules of set on an object's value, or takes an earlier verdict on
// an equal projection from known; projected values are recorded in res for later edits.
func (e *Engine) evalBuiltin(ctx context.Context, set *ruleSet, value ast.Value, known verdicts, res *DocResult) ([][]violation, error) {
	if set.reads == nil {
		return e.eval(ctx, set, value)
	}
	perRule, ok := known.find(set, value)
	if !ok {
		var err error
		if perRule, err = e.eval(ctx, set, value); err != nil {
			return nil, err
		}
	}
	res.verdicts = append(res.verdicts, &verdict{set: set, input: value, perRule: perRule})
	return perRule, nil
}

// objectValues converts an object for the built-in rules of set (its projection, when they
// declare what they read) and, when custom rules read it too, for them (the whole object).
func objectValues(d *yamldoc.Document, obj yamldoc.Object, set *ruleSet, custom bool) (builtin, whole ast.Value, err error) {
	if set != nil && set.reads != nil {
		// A projection leaves unread parts unwalked: an alias bomb there must still be refused.
		if d.Aliases {
			if err := checkExpansion(obj.Node); err != nil {
				return nil, nil, err
			}
		}
		if builtin, err = toProjection(obj.Node, set.reads); err != nil || !custom {
			return builtin, nil, err
		}
		whole, err = toValue(obj.Node)
		return builtin, whole, err
	}
	whole, err = toValue(obj.Node)
	return whole, whole, err
}
