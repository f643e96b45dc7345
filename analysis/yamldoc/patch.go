package yamldoc

import (
	"hash/maphash"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Patched is the document that replacing the bytes [start, end) of d.Text by repl makes, with
// its tree patched instead of parsed again, or nil when the edit is not one it patches: an
// edit on one line inside one scalar that is the value of a block mapping or an item of a
// block sequence (not a key, no anchor or tag), plain (on one or more lines; not in the
// indentation of a later line) or quoted on one line without escapes, that leaves it a scalar
// of the same style. Nothing else of the document can change then: no line moves, and nothing
// follows the scalar on its lines but a comment, so no other node moves either. The new value
// and its resolved tag are what yaml.v3 makes of the new text on its own (scalarValue), which
// also refuses anything that would stop being that one scalar (": ", " #", a leading
// indicator, white space at an end). at gives the new document's place in the file; the caller
// checked that it holds d's text with the edit made.
//
// Typing in a description of a CRD of 20,000 lines then costs a walk down to the scalar and a
// copy of the nodes on the way, not a parse.
func (d *Document) Patched(start, end int, repl string, at *Document) *Document {
	if d.Root == nil || d.Err != nil || d.Aliases || d.mapper == nil || start < 0 || start > end || end > len(d.Text) ||
		strings.ContainsAny(repl, "\r\n") || strings.ContainsAny(d.Text[start:end], "\r\n") {
		return nil
	}
	line := d.mapper.LineOf(start)
	path := d.scalarPath(line, start)
	if path == nil {
		return nil
	}
	s := path[len(path)-1]
	rawStart := d.NodeOffset(s)
	raw, ok := d.scalarText(s, rawStart)
	if !ok {
		return nil
	}
	rawEnd := rawStart + len(raw)
	inner := 0 // a quoted scalar's edit stays between its quotes
	if s.Style != 0 {
		inner = 1
	}
	if start < rawStart+inner || end > rawEnd-inner {
		return nil
	}
	if l := d.mapper.LineStart(line); line != s.Line-1 && start < l+indentOf(d.mapper.Line(line)) {
		return nil // the indentation of a plain scalar's later line decides where it ends
	}
	newRaw := raw[:start-rawStart] + repl + raw[end-rawStart:]
	value, tag, ok := scalarValue(s.Style, newRaw)
	if !ok {
		return nil
	}
	c := *at
	c.Root, c.Err, c.Aliases, c.released = patchPath(path, value, tag), nil, false, false
	if c.mapper == nil || c.mapper.text != c.Text { // SplitMapped gave at its index and hash
		mapper, err := d.mapper.Replace(start, end, repl)
		if err != nil {
			return nil
		}
		c.mapper = &Mapper{text: c.Text, lineStarts: mapper.lineStarts, ascii: mapper.ascii}
		c.Hash = maphash.String(hashSeed, c.Text)
	}
	return &c
}

// scalarPath returns the nodes from the root down to the scalar that starts on line (0-based)
// at or before offset, each the last child that starts at or before it; nil when that is not a
// scalar on line in block context, or is a key.
func (d *Document) scalarPath(line, offset int) []*yaml.Node {
	path := []*yaml.Node{d.Root}
	n := d.Root
	for n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode {
		if n.Style&yaml.FlowStyle != 0 || len(n.Content) == 0 {
			return nil
		}
		// the last child that starts at or before the offset: children are in text order
		lo, hi := 0, len(n.Content)
		for lo < hi {
			mid := (lo + hi) / 2
			if c := n.Content[mid]; c.Line-1 < line || (c.Line-1 == line && d.NodeOffset(c) <= offset) {
				lo = mid + 1
			} else {
				hi = mid
			}
		}
		if lo == 0 || (n.Kind == yaml.MappingNode && (lo-1)%2 == 0) {
			return nil // before the first child, or in a key
		}
		n = n.Content[lo-1]
		path = append(path, n)
	}
	if n.Kind != yaml.ScalarNode || (n.Style == 0 && n.Value == "") || (n.Line-1 != line && n.Style != 0) || len(path) < 2 || n.Anchor != "" || n.Style&yaml.TaggedStyle != 0 ||
		(n.Style != 0 && n.Style != yaml.DoubleQuotedStyle && n.Style != yaml.SingleQuotedStyle) {
		return nil
	}
	return path
}

// scalarText is the scalar's text from rawStart, when only blanks or a comment follow it on
// its last line: a quoted scalar on one line without escapes, or a plain scalar on one or more
// lines whose text, alone as a mapping value, yaml.v3 reads as the scalar's value and tag.
func (d *Document) scalarText(s *yaml.Node, rawStart int) (string, bool) {
	var raw string
	switch s.Style {
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		q := `"`
		if s.Style == yaml.SingleQuotedStyle {
			q = "'"
		}
		if strings.ContainsAny(s.Value, "\r\n\t\\"+q) {
			return "", false
		}
		raw = q + s.Value + q
		if !strings.HasPrefix(d.Text[rawStart:], raw) {
			return "", false // a multi-line or escaped scalar: its text is not its value
		}
	default:
		raw = d.Text[rawStart:d.plainEnd(rawStart, s.Value)]
		if value, tag, ok := scalarValue(0, raw); !ok || value != s.Value || tag != s.Tag {
			return "", false
		}
	}
	rawEnd := rawStart + len(raw)
	after := d.Text[rawEnd:d.mapper.LineEnd(d.mapper.LineOf(rawEnd))]
	if trimmed := strings.TrimLeft(after, " "); after != "" && (trimmed == after || (trimmed != "" && trimmed[0] != '#')) {
		return "", false
	}
	return raw, true
}

// scalarValue is the value and tag of newRaw, a scalar's new text in the style it had; false
// when the text would not be a scalar of that style on its own. A plain scalar's text is read
// as the value of a mapping at column 0, where its later lines, indented, continue it as they
// did in place (the edit leaves their indentation alone); it must be one plain scalar with no
// comment.
func scalarValue(style yaml.Style, newRaw string) (value, tag string, ok bool) {
	switch style {
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		q := newRaw[0]
		value = newRaw[1 : len(newRaw)-1]
		if strings.IndexByte(value, q) >= 0 || (q == '"' && strings.IndexByte(value, '\\') >= 0) || !printable(value) {
			return "", "", false
		}
		return value, "!!str", true
	}
	if newRaw == "" || isSpace(newRaw[0]) || isSpace(newRaw[len(newRaw)-1]) || !printable(strings.NewReplacer("\r", "", "\n", "").Replace(newRaw)) {
		return "", "", false
	}
	var doc yaml.Node
	if err := safeUnmarshal([]byte("k: "+newRaw), &doc); err != nil || len(doc.Content) != 1 || hasComment(&doc) {
		return "", "", false
	}
	m := doc.Content[0]
	if m.Kind != yaml.MappingNode || len(m.Content) != 2 || hasComment(m) || hasComment(m.Content[0]) {
		return "", "", false
	}
	n := m.Content[1]
	if n.Kind != yaml.ScalarNode || n.Style != 0 || n.Anchor != "" || hasComment(n) {
		return "", "", false
	}
	return n.Value, n.Tag, true
}

func hasComment(n *yaml.Node) bool {
	return n.HeadComment != "" || n.LineComment != "" || n.FootComment != ""
}

// printable reports whether s is valid UTF-8 of characters YAML allows in a scalar's text, tab
// and line breaks excluded.
func printable(s string) bool {
	for _, r := range s {
		switch {
		case r == utf8.RuneError, r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0, r >= 0xd800 && r < 0xe000, r == 0xfeff, r == 0xfffe, r == 0xffff:
			return false
		}
	}
	return true
}

// patchPath copies the nodes of path, each with its children, with the last one's value and
// tag replaced: the nodes off the path are shared with the old tree, which nothing modifies.
func patchPath(path []*yaml.Node, value, tag string) *yaml.Node {
	s := *path[len(path)-1]
	s.Value, s.Tag = value, tag
	child := &s
	for i := len(path) - 2; i >= 0; i-- {
		n := *path[i]
		n.Content = append([]*yaml.Node(nil), n.Content...)
		for j, c := range path[i].Content {
			if c == path[i+1] {
				n.Content[j] = child
			}
		}
		child = &n
	}
	return child
}
