package fix

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"
	"go.yaml.in/yaml/v3"
)

// The three fix operations of policies/README.md, each turned into text edits on one parsed
// document. Edits here are document-relative; they never re-serialise anything: values are
// replaced in place, new keys are inserted as lines in the document's own style, and removed
// entries take their lines (or, in flow style, their comma) with them, keeping their comments.

// throughAlias reports whether an edit below these steps would change an aliased node, which
// other places of the document share.
func throughAlias(steps []yamldoc.Step) bool {
	for _, s := range steps {
		if s.Node.Kind == yaml.AliasNode {
			return true
		}
	}
	return false
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" }

func isFlow(n *yaml.Node) bool { return n.Style&yaml.FlowStyle != 0 }

// opEditor computes the edits of one operation against one parsed document.
type opEditor struct {
	d     *yamldoc.Document
	st    style
	floor int // steps to the object's own node: it and its ancestors are never removed
}

// opResult is what one operation does: edits, or operations to run instead (a mapping set over
// a mapping becomes one set per key), and the path of what a removal took out.
type opResult struct {
	edits   []Edit
	subs    []Op
	ins     *insertion // a set that adds keys: edits come from renderInsertion
	removed []any      // the path of what a removal took out
	from    *yaml.Node // the collection a removal took it from
}

// apply computes one operation.
func (e *opEditor) apply(op Op) (opResult, error) {
	switch op.Op {
	case "set":
		return e.set(op.Path, op.Value)
	case "add":
		return e.add(op.Path, op.Value)
	case "remove":
		return e.remove(op.Path)
	}
	return opResult{}, fmt.Errorf("unknown fix operation %q", op.Op)
}

func (e *opEditor) set(path []any, value any) (opResult, error) {
	d := e.d
	steps := yamldoc.Walk(d.Root, path)
	k := len(steps)
	if k == len(path) && !steps[k-1].Merged {
		if throughAlias(steps[:k-1]) {
			return opResult{}, fmt.Errorf("%s is reached through an alias, shared with other places", ShowPath(path))
		}
		last := steps[k-1]
		if m, ok := value.(map[string]any); ok && last.Node.Kind == yaml.MappingNode {
			return opResult{subs: replaceMappingOps(path, last.Node, m)}, nil
		}
		return e.replace(last, value)
	}
	if k > 0 && steps[k-1].Merged {
		if k != len(path) {
			return opResult{}, fmt.Errorf("%s comes from a merge key (<<): setting a field inside it would hide the rest", ShowPath(path[:k]))
		}
		// Setting the merged leaf on the mapping itself overrides the merge for that key only.
		steps, k = steps[:k-1], k-1
	}
	if throughAlias(steps) {
		return opResult{}, fmt.Errorf("%s is reached through an alias, shared with other places", ShowPath(path[:k]))
	}
	keys := make([]string, 0, len(path)-k)
	for _, p := range path[k:] {
		s, ok := p.(string)
		if !ok {
			return opResult{}, fmt.Errorf("%s does not exist and a list entry cannot be created", ShowPath(path))
		}
		keys = append(keys, s)
	}
	var owner *yamldoc.Step
	target := d.Root
	if k > 0 {
		owner, target = &steps[k-1], steps[k-1].Node
	}
	return e.insert(owner, target, keys[0], nestValue(keys[1:], value), path[:k])
}

// replaceMappingOps sets every key of m and removes the other keys of the existing mapping n.
func replaceMappingOps(path []any, n *yaml.Node, m map[string]any) []Op {
	var ops []Op
	for _, k := range slices.Sorted(maps.Keys(m)) {
		ops = append(ops, Op{Op: "set", Path: appendPath(path, k), Value: m[k]})
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if key := yamldoc.Deref(n.Content[i]); key.Kind == yaml.ScalarNode {
			if _, keep := m[key.Value]; !keep {
				ops = append(ops, Op{Op: "remove", Path: appendPath(path, key.Value)})
			}
		}
	}
	return ops
}

func appendPath(path []any, more ...any) []any {
	return append(slices.Clip(path), more...)
}

// insertion adds entries to an existing mapping (or turns a null into that mapping). Several
// operations that insert into the same mapping merge into one insertion during a fix-all.
type insertion struct {
	owner   *yamldoc.Step // the step that reached target; nil for the document root
	target  *yaml.Node    // the mapping (or null) that receives the entries
	entries *orderedMap   // what to insert, in the order the operations came
	at      []any         // target's path, for messages
}

// insert plans adding key: value to the mapping target; renderInsertion writes it.
func (e *opEditor) insert(owner *yamldoc.Step, target *yaml.Node, key string, value any, at []any) (opResult, error) {
	switch {
	case target.Kind == yaml.MappingNode, isNull(target):
	default:
		return opResult{}, fmt.Errorf("cannot add %s to %s: it is %s, not a mapping", key, ShowPath(at), describeNode(target))
	}
	entries := &orderedMap{}
	entries.merge([]string{key}, value)
	return opResult{ins: &insertion{owner: owner, target: target, entries: entries, at: at}}, nil
}

// renderInsertion writes an insertion in the target's style: new lines at the end of a block
// mapping, entries before the closing brace of a flow one, a block below the key in place of
// a placeholder ("{}", null).
func (e *opEditor) renderInsertion(ins *insertion) ([]Edit, error) {
	d, target, owner := e.d, ins.target, ins.owner
	var res opResult
	var err error
	switch {
	case target.Kind == yaml.MappingNode && !isFlow(target) && len(target.Content) > 0:
		col := column(d, d.NodeOffset(target.Content[0]))
		pos := d.Mapper().LineEnd(d.Mapper().LineOf(d.NodeEnd(target)))
		var b strings.Builder
		for _, k := range ins.entries.keys {
			e.st.renderBlockEntry(&b, k, ins.entries.vals[k], col)
		}
		return []Edit{{yamldoc.Range{Start: pos, End: pos}, b.String()}}, nil
	case target.Kind == yaml.MappingNode && len(target.Content) > 0, target.Kind == yaml.MappingNode && !e.canExpand(owner):
		parts := make([]string, len(ins.entries.keys))
		for i, k := range ins.entries.keys {
			parts[i] = e.st.key(k) + ": " + e.st.flow(ins.entries.vals[k], quoteDefault)
		}
		return []Edit{e.flowInsert(target, strings.Join(parts, ", "))}, nil
	case e.canExpand(owner):
		res, err = e.expand(owner, ins.entries)
	default:
		res, err = e.replaceInline(target, ins.entries, true)
	}
	return res.edits, err
}

// canExpand reports whether the value reached by step is a scalar or an empty flow collection
// ("{}", "[]") on its block mapping key's line, which can become a block collection below the key.
func (e *opEditor) canExpand(step *yamldoc.Step) bool {
	if step == nil || step.Key == nil || isFlow(step.Parent) || step.Node.Kind == yaml.AliasNode {
		return false
	}
	d, v := e.d, step.Node
	if d.NodeOffset(v) != d.ContentStart(v) { // an anchor or tag would be lost
		return false
	}
	if !(v.Kind == yaml.ScalarNode && !isBlockScalarNode(v)) && !(isFlow(v) && len(v.Content) == 0) {
		return false
	}
	return d.Mapper().LineOf(d.NodeOffset(v)) == d.Mapper().LineOf(d.NodeOffset(step.Key))
}

// expand replaces the placeholder value of step's key with value written as a block below the
// key. A comment after the placeholder stays on the key's line.
func (e *opEditor) expand(step *yamldoc.Step, value any) (opResult, error) {
	d := e.d
	colon, ok := colonAfter(d, step.Key)
	if !ok {
		return opResult{}, fmt.Errorf("no ':' after key %q", step.Key.Value)
	}
	end := max(colon+1, d.NodeEnd(step.Node))
	line := d.Mapper().LineOf(colon)
	var b strings.Builder
	e.st.renderBlockValue(&b, value, column(d, d.NodeOffset(step.Key)))
	lineEnd := d.Mapper().LineEnd(line)
	edits := []Edit{{yamldoc.Range{Start: colon + 1, End: end}, ""}, {yamldoc.Range{Start: lineEnd, End: lineEnd}, b.String()}}
	return opResult{edits: mergeAdjacentEdits(edits)}, nil
}

// colonAfter finds the ':' that follows a block mapping key.
func colonAfter(d *yamldoc.Document, key *yaml.Node) (int, bool) {
	i := d.NodeEnd(key)
	for i < len(d.Text) && isSpace(d.Text[i]) {
		i++
	}
	return i, i < len(d.Text) && d.Text[i] == ':'
}

// flowInsert adds an entry at the end of a flow collection.
func (e *opEditor) flowInsert(coll *yaml.Node, entry string) Edit {
	d := e.d
	if len(coll.Content) == 0 {
		open := d.ContentStart(coll) + 1
		return Edit{yamldoc.Range{Start: open, End: open}, entry}
	}
	last := d.NodeEnd(coll.Content[len(coll.Content)-1])
	if coll.Kind == yaml.MappingNode {
		last = pairEnd(d, coll.Content[len(coll.Content)-2], coll.Content[len(coll.Content)-1])
	}
	return Edit{yamldoc.Range{Start: last, End: last}, ", " + entry}
}

// pairEnd is where a mapping entry's text ends: its value's end, or its key's for an empty value.
func pairEnd(d *yamldoc.Document, k, v *yaml.Node) int {
	end := max(d.NodeEnd(k), d.NodeEnd(v))
	if isNull(v) && v.Value == "" {
		if colon, ok := colonAfter(d, k); ok {
			end = max(end, colon+1)
		}
	}
	return end
}

// replace sets the existing value of step to value.
func (e *opEditor) replace(step yamldoc.Step, value any) (opResult, error) {
	d, v := e.d, step.Node
	collection := isCollectionValue(value)
	switch {
	case collection && e.canExpand(&step):
		// "resources: {}" or "drop: ALL" becomes a block below the key; a comment stays on its line.
		return e.expand(&step, value)
	case step.Key != nil && !isFlow(step.Parent) && v.Kind != yaml.AliasNode && d.IsBlock(v) && !isBlockScalarNode(v):
		colon, ok := colonAfter(d, step.Key)
		if !ok {
			return opResult{}, fmt.Errorf("no ':' after key %q", step.Key.Value)
		}
		r := yamldoc.Range{Start: colon + 1, End: d.NodeEnd(v)}
		if cs := d.Comments(r, v); len(cs) > 0 {
			return opResult{}, fmt.Errorf("replacing %s would drop the comment %q", step.Key.Value, cs[0])
		}
		var b strings.Builder
		if collection {
			e.st.renderBlockValue(&b, value, column(d, d.NodeOffset(step.Key)))
		} else {
			b.WriteString(" " + e.st.scalar(value, false, quoteDefault))
		}
		return opResult{edits: []Edit{{r, b.String()}}}, nil
	}
	return e.replaceInline(v, value, isFlow(step.Parent))
}

func isCollectionValue(v any) bool {
	switch v.(type) {
	case map[string]any, *orderedMap, []any:
		return true
	}
	return false
}

func isBlockScalarNode(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0
}

// replaceInline replaces a node's text with value on the same spot: scalars keep their quoting
// style, collections are written in flow style. An anchor stays; a tag goes with the old value.
// inFlow says that v is inside a flow collection, where plain scalars may not hold "[]{},".
func (e *opEditor) replaceInline(v *yaml.Node, value any, inFlow bool) (opResult, error) {
	d := e.d
	if d.IsBlock(v) && !isBlockScalarNode(v) {
		return opResult{}, fmt.Errorf("cannot replace a block %s in place", describeNode(v))
	}
	start, end := d.ContentStart(v), d.NodeEnd(v)
	prefix := ""
	if v.Kind == yaml.AliasNode {
		start = d.NodeOffset(v)
	} else if props := d.Text[d.NodeOffset(v):start]; strings.Contains(props, "!") {
		start = d.NodeOffset(v)
		for _, f := range strings.Fields(props) {
			if strings.HasPrefix(f, "&") {
				prefix += f + " "
			}
		}
	}
	if start == end && start > 0 && d.Text[start-1] == ':' {
		prefix = " " + prefix
	}
	var text string
	switch value.(type) {
	case map[string]any, *orderedMap, []any:
		text = e.st.flow(value, quoteDefault)
	default:
		// A value written in place keeps the quoting of the one it replaces.
		text = renderScalar(value, inFlow, quotingOf(yamldoc.Deref(v)))
	}
	if d.Text[start:end] == prefix+text {
		return opResult{}, nil
	}
	return opResult{edits: []Edit{{yamldoc.Range{Start: start, End: end}, prefix + text}}}, nil
}

func (e *opEditor) add(path []any, value any) (opResult, error) {
	d := e.d
	steps := yamldoc.Walk(d.Root, path)
	if len(steps) < len(path) || steps[len(steps)-1].Merged {
		return e.set(path, []any{value}) // no list yet: create it with the value
	}
	if throughAlias(steps) {
		return opResult{}, fmt.Errorf("%s is reached through an alias, shared with other places", ShowPath(path))
	}
	last := steps[len(steps)-1]
	list := last.Node
	switch {
	case list.Kind == yaml.SequenceNode && !isFlow(list):
		dash, ok := dashOf(d, list.Content[0])
		if !ok {
			return opResult{}, fmt.Errorf("list %s has no dash", ShowPath(path))
		}
		pos := d.Mapper().LineEnd(d.Mapper().LineOf(d.NodeEnd(list)))
		var b strings.Builder
		b.WriteString(e.st.nl)
		e.st.renderBlockItem(&b, value, column(d, dash), listQuoting(list.Content))
		return opResult{edits: []Edit{{yamldoc.Range{Start: pos, End: pos}, b.String()}}}, nil
	case list.Kind == yaml.SequenceNode:
		if len(list.Content) == 0 && e.canExpand(&last) {
			return e.expand(&last, []any{value})
		}
		return opResult{edits: []Edit{e.flowInsert(list, e.st.flow(value, listQuoting(list.Content)))}}, nil
	case isNull(list):
		if e.canExpand(&last) {
			return e.expand(&last, []any{value})
		}
		return e.replaceInline(list, []any{value}, true)
	}
	return opResult{}, fmt.Errorf("cannot add to %s: it is %s, not a list", ShowPath(path), describeNode(list))
}

func describeNode(n *yaml.Node) string {
	n = yamldoc.Deref(n)
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("the scalar %q", n.Value)
	}
	return "an alias"
}

// ShowPath writes a JSON path as a dotted field path: spec.containers[0].securityContext.
func ShowPath(path []any) string {
	var b strings.Builder
	for _, p := range path {
		switch s := p.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", s)
		default:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			fmt.Fprint(&b, s)
		}
	}
	if b.Len() == 0 {
		return "the object"
	}
	return b.String()
}
