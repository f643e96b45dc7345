package fix

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"
	"go.yaml.in/yaml/v3"
)

func (e *opEditor) remove(path []any) (opResult, error) {
	d := e.d
	steps := yamldoc.Walk(d.Root, path)
	if len(steps) < len(path) {
		return opResult{}, nil // already absent
	}
	if steps[len(steps)-1].Merged {
		return opResult{}, fmt.Errorf("%s comes from a merge key (<<) and cannot be removed here", ShowPath(path))
	}
	if throughAlias(steps[:len(steps)-1]) {
		return opResult{}, fmt.Errorf("%s is reached through an alias, shared with other places", ShowPath(path))
	}
	i := len(steps) - 1
	// A list or mapping emptied by the removal goes too, up to (not including) the object.
	for i > e.floor && entryCount(steps[i].Parent) == 1 {
		i--
	}
	edits, err := e.removeEntry(steps[i])
	if err != nil {
		return opResult{}, err
	}
	return opResult{edits: edits, removed: slices.Clone(path[:i+1]), from: steps[i].Parent}, nil
}

func entryCount(n *yaml.Node) int {
	if n.Kind == yaml.MappingNode {
		return len(n.Content) / 2
	}
	return len(n.Content)
}

// removeEntry removes one mapping entry or list item.
func (e *opEditor) removeEntry(s yamldoc.Step) ([]Edit, error) {
	if isFlow(s.Parent) {
		return e.flowRemove(s)
	}
	d := e.d
	var start, end int
	var nodes []*yaml.Node
	if s.Key != nil {
		start, end = d.NodeOffset(s.Key), pairEnd(d, s.Key, s.Node)
		nodes = []*yaml.Node{s.Key, s.Node}
	} else {
		dash, ok := dashOf(d, s.Node)
		if !ok {
			return nil, fmt.Errorf("list item without a dash")
		}
		start, end = dash, max(dash+1, d.NodeEnd(s.Node))
		nodes = []*yaml.Node{s.Node}
	}
	m := d.Mapper()
	l1, l2 := m.LineOf(start), m.LineOf(end)
	lineStart := m.LineStart(l1)
	if strings.TrimLeft(d.Text[lineStart:start], " ") == "" {
		col := start - lineStart
		comments := d.Comments(yamldoc.Range{Start: start, End: m.LineEnd(l2)}, nodes...)
		if l2+1 < m.LineCount() {
			var b strings.Builder
			for _, c := range comments {
				b.WriteString(spaces(col) + c + e.st.nl)
			}
			return []Edit{{yamldoc.Range{Start: lineStart, End: m.LineStart(l2 + 1)}, b.String()}}, nil
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
			b.WriteString(spaces(col) + c)
		}
		return []Edit{{yamldoc.Range{Start: from, End: len(d.Text)}, b.String()}}, nil
	}
	// "- hostPort: 80" with more keys below: the next key moves up onto the dash's line.
	if s.Key == nil || s.Index != 0 || len(s.Parent.Content) < 4 {
		return nil, fmt.Errorf("%q does not start its line", d.Text[lineStart:start])
	}
	next := d.NodeOffset(s.Parent.Content[2])
	r := yamldoc.Range{Start: start, End: next}
	comments := d.Comments(r, nodes...)
	edits := []Edit{{r, ""}}
	if len(comments) > 0 {
		dashCol := len(d.Text[lineStart:start]) - len(strings.TrimLeft(d.Text[lineStart:start], " "))
		var b strings.Builder
		for _, c := range comments {
			b.WriteString(spaces(dashCol) + c + e.st.nl)
		}
		edits = append([]Edit{{yamldoc.Range{Start: lineStart, End: lineStart}, b.String()}}, edits...)
	}
	return edits, nil
}

// flowRemove removes an entry of a flow collection with its comma.
func (e *opEditor) flowRemove(s yamldoc.Step) ([]Edit, error) {
	d, p := e.d, s.Parent
	type span struct{ start, end int }
	var spans []span
	idx := s.Index
	if p.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(p.Content); i += 2 {
			spans = append(spans, span{d.NodeOffset(p.Content[i]), pairEnd(d, p.Content[i], p.Content[i+1])})
		}
		idx /= 2
	} else {
		for _, it := range p.Content {
			spans = append(spans, span{d.NodeOffset(it), d.NodeEnd(it)})
		}
	}
	var r yamldoc.Range
	switch {
	case idx+1 < len(spans):
		r = yamldoc.Range{Start: spans[idx].start, End: spans[idx+1].start}
	case idx > 0:
		r = yamldoc.Range{Start: spans[idx-1].end, End: spans[idx].end}
	default:
		r = yamldoc.Range{Start: spans[idx].start, End: spans[idx].end}
	}
	nodes := []*yaml.Node{s.Node}
	if s.Key != nil {
		nodes = append(nodes, s.Key)
	}
	if cs := d.Comments(r, nodes...); len(cs) > 0 {
		return nil, fmt.Errorf("removing the entry would drop the comment %q", cs[0])
	}
	return []Edit{{r, ""}}, nil
}

// isSpace reports whether c is white space inside a YAML line.
func isSpace(c byte) bool { return c == ' ' || c == '\t' }
