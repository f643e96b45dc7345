package yamldoc

import (
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Range is a half-open span of byte offsets, in a document's text or (once rebased) a file's.
type Range struct {
	Start, End int
}

// Shift moves the range by delta bytes.
func (r Range) Shift(delta int) Range { return Range{r.Start + delta, r.End + delta} }

// yaml.v3 nodes carry a start line and code-point column but no end: these helpers compute
// document-relative byte extents from the source text.

// NodeOffset is the byte offset of the node's reported position (its anchor or tag, if any).
func (d *Document) NodeOffset(n *yaml.Node) int {
	col := n.Column - 1
	if n.Line == 1 && d.Offset == 0 && strings.HasPrefix(d.Text, "\ufeff") {
		col++ // yaml.v3 does not count a byte order mark as a column
	}
	off, err := d.mapper.Offset(Pos{n.Line - 1, max(col, 0)}, CodePoints)
	if err != nil {
		return 0
	}
	return off
}

// ContentStart is where the node's own text starts, after any anchor and tag properties.
func (d *Document) ContentStart(n *yaml.Node) int {
	s := d.NodeOffset(n)
	t := d.Text
	if n.Kind == yaml.AliasNode {
		return s
	}
	for s < len(t) && (t[s] == '&' || t[s] == '!') {
		for s < len(t) && !isSpace(t[s]) {
			s++
		}
		for s < len(t) && (isSpace(t[s]) || t[s] == '\n' || t[s] == '\r') {
			s++
		}
	}
	return s
}

// NodeEnd is the byte offset just after the node's text.
func (d *Document) NodeEnd(n *yaml.Node) int {
	s := d.ContentStart(n)
	switch n.Kind {
	case yaml.AliasNode:
		return min(s+1+len(n.Value), len(d.Text))
	case yaml.MappingNode, yaml.SequenceNode:
		if n.Style&yaml.FlowStyle != 0 || len(n.Content) == 0 {
			return d.flowEnd(s)
		}
		return d.NodeEnd(n.Content[len(n.Content)-1])
	case yaml.ScalarNode:
		switch {
		case n.Style&yaml.DoubleQuotedStyle != 0:
			return d.quotedEnd(s, '"')
		case n.Style&yaml.SingleQuotedStyle != 0:
			return d.quotedEnd(s, '\'')
		case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
			return d.blockScalarEnd(s)
		default:
			return d.plainEnd(s, n.Value)
		}
	}
	return s
}

// NodeRange is the node's text, from its properties to its end.
func (d *Document) NodeRange(n *yaml.Node) Range {
	return Range{d.NodeOffset(n), d.NodeEnd(n)}
}

// NodeStartRange covers the node's first line only: for errors about big nodes.
func (d *Document) NodeStartRange(n *yaml.Node) Range {
	s := d.NodeOffset(n)
	line := d.mapper.LineOf(s)
	return Range{s, max(s, min(d.NodeEnd(n), d.mapper.LineEnd(line)))}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' }

// plainEnd follows a plain scalar's words through the source: a multi-line plain scalar is
// folded into single spaces, so its words appear in order separated by white space.
func (d *Document) plainEnd(s int, value string) int {
	t := d.Text
	if strings.HasPrefix(t[s:], value) {
		return s + len(value)
	}
	end := s
	for _, word := range strings.Fields(value) {
		i := end
		for i < len(t) && (isSpace(t[i]) || t[i] == '\n' || t[i] == '\r') {
			i++
		}
		if !strings.HasPrefix(t[i:], word) {
			break
		}
		end = i + len(word)
	}
	return end
}

// quotedEnd finds the closing quote of a quoted scalar starting at s.
func (d *Document) quotedEnd(s int, q byte) int {
	t := d.Text
	for i := s + 1; i < len(t); i++ {
		switch {
		case q == '"' && t[i] == '\\':
			i++
		case t[i] == q && q == '\'' && i+1 < len(t) && t[i+1] == '\'':
			i++
		case t[i] == q:
			return i + 1
		}
	}
	return len(t)
}

// flowEnd finds the bracket that closes the flow collection opening at s, skipping quoted
// strings and comments. A quote opens a quoted string only where a node starts (after "[",
// "{", ",", a ":" or "?" indicator, and the node's anchor or tag): inside a plain scalar, as
// in [FOO"0], it is a character like any other.
func (d *Document) flowEnd(s int) int {
	t := d.Text
	depth := 0
	nodeStart := true // at the start of a node, but for white space and comments
	afterQuoted := false
	for i := s; i < len(t); i++ {
		c := t[i]
		switch {
		case c == '[' || c == '{':
			depth++
			nodeStart, afterQuoted = true, false
		case c == ']' || c == '}':
			depth--
			if depth <= 0 {
				return i + 1
			}
			nodeStart, afterQuoted = false, false
		case c == ',':
			nodeStart, afterQuoted = true, false
		case (c == ':' || c == '?') && (afterQuoted || i+1 >= len(t) || isSpace(t[i+1]) || t[i+1] == '\n' || t[i+1] == '\r' || strings.IndexByte(",[]{}", t[i+1]) >= 0):
			nodeStart, afterQuoted = true, false
		case isSpace(c) || c == '\n' || c == '\r':
		case c == '#' && (i == 0 || isSpace(t[i-1]) || t[i-1] == '\n' || t[i-1] == '\r'):
			for i < len(t) && t[i] != '\n' {
				i++
			}
		case (c == '"' || c == '\'') && nodeStart:
			i = d.quotedEnd(i, c) - 1
			nodeStart, afterQuoted = false, true
		case c == '!' && nodeStart && i+1 < len(t) && t[i+1] == '<': // a verbatim tag
			for i < len(t) && t[i] != '>' {
				i++
			}
		case (c == '&' || c == '!') && nodeStart: // a property: the node starts after it
			for i+1 < len(t) && !isSpace(t[i+1]) && t[i+1] != '\n' && t[i+1] != '\r' && strings.IndexByte(",[]{}", t[i+1]) < 0 {
				i++
			}
		default:
			nodeStart, afterQuoted = false, false
		}
	}
	return len(t)
}

// blockScalarEnd finds the end of a literal or folded scalar whose header ("|", ">-", ...) is
// at s: the end of its last non-blank line indented deeper than the header's line.
func (d *Document) blockScalarEnd(s int) int {
	m := d.mapper
	header := m.LineOf(s)
	end := m.LineEnd(header)
	if c := strings.Index(d.Text[s:end], " #"); c >= 0 {
		end = s + c
	}
	parentIndent := indentOf(m.Line(header))
	contentIndent := -1
	for line := header + 1; line < m.LineCount(); line++ {
		content := m.Line(line)
		if strings.TrimSpace(content) == "" {
			continue
		}
		indent := indentOf(content)
		if contentIndent < 0 {
			if indent <= parentIndent {
				break
			}
			contentIndent = indent
		}
		if indent < contentIndent {
			break
		}
		end = m.LineEnd(line)
	}
	return end
}

func indentOf(line string) int {
	return len(line) - len(strings.TrimLeft(line, " "))
}

// Comments returns the comments that start in r, skipping "#" inside the scalars of nodes.
func (d *Document) Comments(r Range, nodes ...*yaml.Node) []string {
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
			scalars = append(scalars, Range{Start: d.ContentStart(n), End: d.NodeEnd(n)})
		case yaml.AliasNode:
			scalars = append(scalars, Range{Start: d.NodeOffset(n), End: d.NodeEnd(n)})
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
		end := d.Mapper().LineEnd(d.Mapper().LineOf(i))
		out = append(out, strings.TrimRight(t[i:end], " \t"))
		i = end
	}
	return out
}
