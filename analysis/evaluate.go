package analysis

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"

	"github.com/kube-policy-ls/kube-policy-ls/analysis/fix"
)

// violation is one element of a rule's violations set.
type violation struct {
	Path    []any
	Message string
	Fix     []fix.Op
}

// eval runs the rules of group (those that read the object's kind) on one object; the result
// has one list of violations per rule of the set, in the group's order.
//
// The query's result is read as OPA values (rawTerm), not converted to Go maps and slices
// first, and cancellation follows ctx through context.AfterFunc rather than the goroutine
// that rego starts for every evaluation without an external cancel.
func (e *Engine) eval(ctx context.Context, group *ruleSet, input ast.Value) ([][]violation, error) {
	query, err := e.prepared(ctx, group)
	if err != nil {
		return nil, err
	}
	cancel := topdown.NewCancel()
	stop := context.AfterFunc(ctx, cancel.Cancel)
	defer stop()
	rs, err := query.Eval(ctx, rego.EvalParsedInput(input), rego.EvalExternalCancel(cancel), rego.EvalGenerateJSON(rawTerm),
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
				return nil, fmt.Errorf("rule %s: %w", e.enabled[group.rules[i]].ID, err)
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
