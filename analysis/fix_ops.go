package analysis

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The three fix operations of policies/README.md, each turned into text edits on one parsed
// document. Edits here are document-relative; they never re-serialise anything: values are
// replaced in place, new keys are inserted as lines in the document's own style, and removed
// entries take their lines (or, in flow style, their comma) with them, keeping their comments.

// fixStep is one step of a JSON path through a parsed document.
type fixStep struct {
	parent *yaml.Node // the mapping or sequence holding the step, aliases followed
	key    *yaml.Node // the mapping key; nil for a sequence item
	node   *yaml.Node // the value or item, as written (possibly an alias)
	index  int        // index in parent.Content: the key's, or the item's
	merged bool       // the key is not in parent itself but comes from a "<<" merge
}

// fixWalk follows path from root as far as it exists. A step found only through a merge key
// is the last one returned.
func fixWalk(root *yaml.Node, path []any) []fixStep {
	cur := root
	steps := make([]fixStep, 0, len(path))
	for _, p := range path {
		n := deref(cur)
		if n == nil {
			return steps
		}
		switch s := p.(type) {
		case string:
			if n.Kind != yaml.MappingNode {
				return steps
			}
			i := fixKeyIndex(n, s)
			if i < 0 {
				if mk, mv := mergePair(n, s); mk != nil {
					steps = append(steps, fixStep{parent: n, key: mk, node: mv, index: -1, merged: true})
				}
				return steps
			}
			steps = append(steps, fixStep{parent: n, key: n.Content[i], node: n.Content[i+1], index: i})
			cur = n.Content[i+1]
		case int:
			if n.Kind != yaml.SequenceNode || s < 0 || s >= len(n.Content) {
				return steps
			}
			steps = append(steps, fixStep{parent: n, node: n.Content[s], index: s})
			cur = n.Content[s]
		default:
			return steps
		}
	}
	return steps
}

// fixKeyIndex is the index in n.Content of key (the last one, as decoders keep), or -1.
func fixKeyIndex(n *yaml.Node, key string) int {
	for i := len(n.Content) - 2; i >= 0; i -= 2 {
		if k := deref(n.Content[i]); k.Kind == yaml.ScalarNode && k.Value == key && !(key == "<<" && k.Tag == "!!merge") {
			return i
		}
	}
	return -1
}

// fixThroughAlias reports whether an edit below these steps would change an aliased node, which
// other places of the document share.
func fixThroughAlias(steps []fixStep) bool {
	for _, s := range steps {
		if s.node.Kind == yaml.AliasNode {
			return true
		}
	}
	return false
}

func fixIsNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" }

func fixIsFlow(n *yaml.Node) bool { return n.Style&yaml.FlowStyle != 0 }

// opEditor computes the edits of one operation against one parsed document.
type opEditor struct {
	d     *Document
	st    fixStyle
	floor int // steps to the object's own node: it and its ancestors are never removed
}

// opResult is what one operation does: edits, or operations to run instead (a mapping set over
// a mapping becomes one set per key), and the path of what a removal took out.
type opResult struct {
	edits   []Edit
	subs    []FixOp
	ins     *insertion // a set that adds keys: edits come from renderInsertion
	removed []any      // the path of what a removal took out
	from    *yaml.Node // the collection a removal took it from
}

// apply computes one operation.
func (e *opEditor) apply(op FixOp) (opResult, error) {
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
	steps := fixWalk(d.Root, path)
	k := len(steps)
	if k == len(path) && !steps[k-1].merged {
		if fixThroughAlias(steps[:k-1]) {
			return opResult{}, fmt.Errorf("%s is reached through an alias, shared with other places", fixShowPath(path))
		}
		last := steps[k-1]
		if m, ok := value.(map[string]any); ok && last.node.Kind == yaml.MappingNode {
			return opResult{subs: replaceMappingOps(path, last.node, m)}, nil
		}
		return e.replace(last, value)
	}
	if k > 0 && steps[k-1].merged {
		if k != len(path) {
			return opResult{}, fmt.Errorf("%s comes from a merge key (<<): setting a field inside it would hide the rest", fixShowPath(path[:k]))
		}
		// Setting the merged leaf on the mapping itself overrides the merge for that key only.
		steps, k = steps[:k-1], k-1
	}
	if fixThroughAlias(steps) {
		return opResult{}, fmt.Errorf("%s is reached through an alias, shared with other places", fixShowPath(path[:k]))
	}
	keys := make([]string, 0, len(path)-k)
	for _, p := range path[k:] {
		s, ok := p.(string)
		if !ok {
			return opResult{}, fmt.Errorf("%s does not exist and a list entry cannot be created", fixShowPath(path))
		}
		keys = append(keys, s)
	}
	var owner *fixStep
	target := d.Root
	if k > 0 {
		owner, target = &steps[k-1], steps[k-1].node
	}
	return e.insert(owner, target, keys[0], fixNestValue(keys[1:], value), path[:k])
}

// replaceMappingOps sets every key of m and removes the other keys of the existing mapping n.
func replaceMappingOps(path []any, n *yaml.Node, m map[string]any) []FixOp {
	var ops []FixOp
	for _, k := range slices.Sorted(maps.Keys(m)) {
		ops = append(ops, FixOp{Op: "set", Path: fixAppendPath(path, k), Value: m[k]})
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if key := deref(n.Content[i]); key.Kind == yaml.ScalarNode {
			if _, keep := m[key.Value]; !keep {
				ops = append(ops, FixOp{Op: "remove", Path: fixAppendPath(path, key.Value)})
			}
		}
	}
	return ops
}

func fixAppendPath(path []any, more ...any) []any {
	return append(slices.Clip(path), more...)
}

// insertion adds entries to an existing mapping (or turns a null into that mapping). Several
// operations that insert into the same mapping merge into one insertion during a fix-all.
type insertion struct {
	owner   *fixStep    // the step that reached target; nil for the document root
	target  *yaml.Node  // the mapping (or null) that receives the entries
	entries *orderedMap // what to insert, in the order the operations came
	at      []any       // target's path, for messages
}

// insert plans adding key: value to the mapping target; renderInsertion writes it.
func (e *opEditor) insert(owner *fixStep, target *yaml.Node, key string, value any, at []any) (opResult, error) {
	switch {
	case target.Kind == yaml.MappingNode, fixIsNull(target):
	default:
		return opResult{}, fmt.Errorf("cannot add %s to %s: it is %s, not a mapping", key, fixShowPath(at), fixDescribeNode(target))
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
	case target.Kind == yaml.MappingNode && !fixIsFlow(target) && len(target.Content) > 0:
		col := d.fixCol(d.nodeOffset(target.Content[0]))
		pos := d.mapper.LineEnd(d.mapper.LineOf(d.nodeEnd(target)))
		var b strings.Builder
		for _, k := range ins.entries.keys {
			e.st.renderBlockEntry(&b, k, ins.entries.vals[k], col)
		}
		return []Edit{{Range{pos, pos}, b.String()}}, nil
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
func (e *opEditor) canExpand(step *fixStep) bool {
	if step == nil || step.key == nil || fixIsFlow(step.parent) || step.node.Kind == yaml.AliasNode {
		return false
	}
	d, v := e.d, step.node
	if d.nodeOffset(v) != d.contentStart(v) { // an anchor or tag would be lost
		return false
	}
	if !(v.Kind == yaml.ScalarNode && !isBlockScalarNode(v)) && !(fixIsFlow(v) && len(v.Content) == 0) {
		return false
	}
	return d.mapper.LineOf(d.nodeOffset(v)) == d.mapper.LineOf(d.nodeOffset(step.key))
}

// expand replaces the placeholder value of step's key with value written as a block below the
// key. A comment after the placeholder stays on the key's line.
func (e *opEditor) expand(step *fixStep, value any) (opResult, error) {
	d := e.d
	colon, ok := d.fixColon(step.key)
	if !ok {
		return opResult{}, fmt.Errorf("no ':' after key %q", step.key.Value)
	}
	end := max(colon+1, d.nodeEnd(step.node))
	line := d.mapper.LineOf(colon)
	var b strings.Builder
	e.st.renderBlockValue(&b, value, d.fixCol(d.nodeOffset(step.key)))
	lineEnd := d.mapper.LineEnd(line)
	edits := []Edit{{Range{colon + 1, end}, ""}, {Range{lineEnd, lineEnd}, b.String()}}
	return opResult{edits: mergeAdjacentEdits(edits)}, nil
}

// fixColon finds the ':' that follows a block mapping key.
func (d *Document) fixColon(key *yaml.Node) (int, bool) {
	i := d.nodeEnd(key)
	for i < len(d.Text) && isSpace(d.Text[i]) {
		i++
	}
	return i, i < len(d.Text) && d.Text[i] == ':'
}

// flowInsert adds an entry at the end of a flow collection.
func (e *opEditor) flowInsert(coll *yaml.Node, entry string) Edit {
	d := e.d
	if len(coll.Content) == 0 {
		open := d.contentStart(coll) + 1
		return Edit{Range{open, open}, entry}
	}
	last := d.nodeEnd(coll.Content[len(coll.Content)-1])
	if coll.Kind == yaml.MappingNode {
		last = d.fixPairEnd(coll.Content[len(coll.Content)-2], coll.Content[len(coll.Content)-1])
	}
	return Edit{Range{last, last}, ", " + entry}
}

// fixPairEnd is where a mapping entry's text ends: its value's end, or its key's for an empty value.
func (d *Document) fixPairEnd(k, v *yaml.Node) int {
	end := max(d.nodeEnd(k), d.nodeEnd(v))
	if fixIsNull(v) && v.Value == "" {
		if colon, ok := d.fixColon(k); ok {
			end = max(end, colon+1)
		}
	}
	return end
}

// replace sets the existing value of step to value.
func (e *opEditor) replace(step fixStep, value any) (opResult, error) {
	d, v := e.d, step.node
	collection := isCollectionValue(value)
	switch {
	case collection && e.canExpand(&step):
		// "resources: {}" or "drop: ALL" becomes a block below the key; a comment stays on its line.
		return e.expand(&step, value)
	case step.key != nil && !fixIsFlow(step.parent) && v.Kind != yaml.AliasNode && d.isBlock(v) && !isBlockScalarNode(v):
		colon, ok := d.fixColon(step.key)
		if !ok {
			return opResult{}, fmt.Errorf("no ':' after key %q", step.key.Value)
		}
		r := Range{colon + 1, d.nodeEnd(v)}
		if cs := d.fixComments(r, v); len(cs) > 0 {
			return opResult{}, fmt.Errorf("replacing %s would drop the comment %q", step.key.Value, cs[0])
		}
		var b strings.Builder
		if collection {
			e.st.renderBlockValue(&b, value, d.fixCol(d.nodeOffset(step.key)))
		} else {
			b.WriteString(" " + e.st.scalar(value, false, quoteDefault))
		}
		return opResult{edits: []Edit{{r, b.String()}}}, nil
	}
	return e.replaceInline(v, value, fixIsFlow(step.parent))
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
	if d.isBlock(v) && !isBlockScalarNode(v) {
		return opResult{}, fmt.Errorf("cannot replace a block %s in place", fixDescribeNode(v))
	}
	start, end := d.contentStart(v), d.nodeEnd(v)
	prefix := ""
	if v.Kind == yaml.AliasNode {
		start = d.nodeOffset(v)
	} else if props := d.Text[d.nodeOffset(v):start]; strings.Contains(props, "!") {
		start = d.nodeOffset(v)
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
		text = fixRenderScalar(value, inFlow, fixQuotingOf(deref(v)))
	}
	if d.Text[start:end] == prefix+text {
		return opResult{}, nil
	}
	return opResult{edits: []Edit{{Range{start, end}, prefix + text}}}, nil
}

func (e *opEditor) remove(path []any) (opResult, error) {
	d := e.d
	steps := fixWalk(d.Root, path)
	if len(steps) < len(path) {
		return opResult{}, nil // already absent
	}
	if steps[len(steps)-1].merged {
		return opResult{}, fmt.Errorf("%s comes from a merge key (<<) and cannot be removed here", fixShowPath(path))
	}
	if fixThroughAlias(steps[:len(steps)-1]) {
		return opResult{}, fmt.Errorf("%s is reached through an alias, shared with other places", fixShowPath(path))
	}
	i := len(steps) - 1
	// A list or mapping emptied by the removal goes too, up to (not including) the object.
	for i > e.floor && fixEntryCount(steps[i].parent) == 1 {
		i--
	}
	edits, err := e.removeEntry(steps[i])
	if err != nil {
		return opResult{}, err
	}
	return opResult{edits: edits, removed: slices.Clone(path[:i+1]), from: steps[i].parent}, nil
}

func fixEntryCount(n *yaml.Node) int {
	if n.Kind == yaml.MappingNode {
		return len(n.Content) / 2
	}
	return len(n.Content)
}

// removeEntry removes one mapping entry or list item.
func (e *opEditor) removeEntry(s fixStep) ([]Edit, error) {
	if fixIsFlow(s.parent) {
		return e.flowRemove(s)
	}
	d := e.d
	var start, end int
	var nodes []*yaml.Node
	if s.key != nil {
		start, end = d.nodeOffset(s.key), d.fixPairEnd(s.key, s.node)
		nodes = []*yaml.Node{s.key, s.node}
	} else {
		dash, ok := d.fixDash(s.node)
		if !ok {
			return nil, fmt.Errorf("list item without a dash")
		}
		start, end = dash, max(dash+1, d.nodeEnd(s.node))
		nodes = []*yaml.Node{s.node}
	}
	m := d.mapper
	l1, l2 := m.LineOf(start), m.LineOf(end)
	lineStart := m.LineStart(l1)
	if strings.TrimLeft(d.Text[lineStart:start], " ") == "" {
		col := start - lineStart
		comments := d.fixComments(Range{start, m.LineEnd(l2)}, nodes...)
		if l2+1 < m.LineCount() {
			var b strings.Builder
			for _, c := range comments {
				b.WriteString(fixIndent(col) + c + e.st.nl)
			}
			return []Edit{{Range{lineStart, m.LineStart(l2 + 1)}, b.String()}}, nil
		}
		// The entry ends the text without a line terminator: take the one before it instead.
		from := lineStart
		if l1 > 0 {
			from = m.LineEnd(l1 - 1)
		}
		var b strings.Builder
		for i, c := range comments {
			if i > 0 || from < lineStart {
				b.WriteString(e.st.nl)
			}
			b.WriteString(fixIndent(col) + c)
		}
		return []Edit{{Range{from, len(d.Text)}, b.String()}}, nil
	}
	// "- hostPort: 80" with more keys below: the next key moves up onto the dash's line.
	if s.key == nil || s.index != 0 || len(s.parent.Content) < 4 {
		return nil, fmt.Errorf("%q does not start its line", d.Text[lineStart:start])
	}
	next := d.nodeOffset(s.parent.Content[2])
	r := Range{start, next}
	comments := d.fixComments(r, nodes...)
	edits := []Edit{{r, ""}}
	if len(comments) > 0 {
		dashCol := len(d.Text[lineStart:start]) - len(strings.TrimLeft(d.Text[lineStart:start], " "))
		var b strings.Builder
		for _, c := range comments {
			b.WriteString(fixIndent(dashCol) + c + e.st.nl)
		}
		edits = append([]Edit{{Range{lineStart, lineStart}, b.String()}}, edits...)
	}
	return edits, nil
}

// flowRemove removes an entry of a flow collection with its comma.
func (e *opEditor) flowRemove(s fixStep) ([]Edit, error) {
	d, p := e.d, s.parent
	type span struct{ start, end int }
	var spans []span
	idx := s.index
	if p.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(p.Content); i += 2 {
			spans = append(spans, span{d.nodeOffset(p.Content[i]), d.fixPairEnd(p.Content[i], p.Content[i+1])})
		}
		idx /= 2
	} else {
		for _, it := range p.Content {
			spans = append(spans, span{d.nodeOffset(it), d.nodeEnd(it)})
		}
	}
	var r Range
	switch {
	case idx+1 < len(spans):
		r = Range{spans[idx].start, spans[idx+1].start}
	case idx > 0:
		r = Range{spans[idx-1].end, spans[idx].end}
	default:
		r = Range{spans[idx].start, spans[idx].end}
	}
	nodes := []*yaml.Node{s.node}
	if s.key != nil {
		nodes = append(nodes, s.key)
	}
	if cs := d.fixComments(r, nodes...); len(cs) > 0 {
		return nil, fmt.Errorf("removing the entry would drop the comment %q", cs[0])
	}
	return []Edit{{r, ""}}, nil
}

func (e *opEditor) add(path []any, value any) (opResult, error) {
	d := e.d
	steps := fixWalk(d.Root, path)
	if len(steps) < len(path) || steps[len(steps)-1].merged {
		return e.set(path, []any{value}) // no list yet: create it with the value
	}
	if fixThroughAlias(steps) {
		return opResult{}, fmt.Errorf("%s is reached through an alias, shared with other places", fixShowPath(path))
	}
	last := steps[len(steps)-1]
	list := last.node
	switch {
	case list.Kind == yaml.SequenceNode && !fixIsFlow(list):
		dash, ok := d.fixDash(list.Content[0])
		if !ok {
			return opResult{}, fmt.Errorf("list %s has no dash", fixShowPath(path))
		}
		pos := d.mapper.LineEnd(d.mapper.LineOf(d.nodeEnd(list)))
		var b strings.Builder
		b.WriteString(e.st.nl)
		e.st.renderBlockItem(&b, value, d.fixCol(dash), fixListQuoting(list.Content))
		return opResult{edits: []Edit{{Range{pos, pos}, b.String()}}}, nil
	case list.Kind == yaml.SequenceNode:
		if len(list.Content) == 0 && e.canExpand(&last) {
			return e.expand(&last, []any{value})
		}
		return opResult{edits: []Edit{e.flowInsert(list, e.st.flow(value, fixListQuoting(list.Content)))}}, nil
	case fixIsNull(list):
		if e.canExpand(&last) {
			return e.expand(&last, []any{value})
		}
		return e.replaceInline(list, []any{value}, true)
	}
	return opResult{}, fmt.Errorf("cannot add to %s: it is %s, not a list", fixShowPath(path), fixDescribeNode(list))
}

// fixComments returns the comments that start in r, skipping "#" inside the scalars of nodes.
func (d *Document) fixComments(r Range, nodes ...*yaml.Node) []string {
	t := d.Text
	if strings.IndexByte(t[r.Start:r.End], '#') < 0 {
		return nil
	}
	var scalars []Range
	var collect func(n *yaml.Node, depth int)
	collect = func(n *yaml.Node, depth int) {
		if n == nil || depth > MaxDepth {
			return
		}
		switch n.Kind {
		case yaml.ScalarNode:
			scalars = append(scalars, Range{d.contentStart(n), d.nodeEnd(n)})
		case yaml.AliasNode:
			scalars = append(scalars, Range{d.nodeOffset(n), d.nodeEnd(n)})
		default:
			for _, c := range n.Content {
				collect(c, depth+1)
			}
		}
	}
	for _, n := range nodes {
		collect(n, 0)
	}
	var out []string
	for i := r.Start; i < r.End; i++ {
		if t[i] != '#' || (i > 0 && !isSpace(t[i-1]) && t[i-1] != '\n' && t[i-1] != '\r') {
			continue
		}
		inScalar := slices.ContainsFunc(scalars, func(s Range) bool { return i >= s.Start && i < s.End })
		if inScalar {
			continue
		}
		end := d.mapper.LineEnd(d.mapper.LineOf(i))
		out = append(out, strings.TrimRight(t[i:end], " \t"))
		i = end
	}
	return out
}

// mergeAdjacentEdits joins edits where one ends where the next starts, so that no two edits touch.
func mergeAdjacentEdits(edits []Edit) []Edit {
	slices.SortStableFunc(edits, func(a, b Edit) int { return a.Range.Start - b.Range.Start })
	out := edits[:0]
	for _, ed := range edits {
		if n := len(out); n > 0 && out[n-1].Range.End == ed.Range.Start {
			out[n-1].Range.End = ed.Range.End
			out[n-1].NewText += ed.NewText
			continue
		}
		out = append(out, ed)
	}
	return out
}

func fixDescribeNode(n *yaml.Node) string {
	n = deref(n)
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

// fixShowPath writes a JSON path as a dotted field path: spec.containers[0].securityContext.
func fixShowPath(path []any) string {
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
