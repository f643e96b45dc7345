package helm

import (
	"bytes"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"
)

// lineIndex converts byte offsets of one template file to lines and columns.
type lineIndex struct {
	text   []byte
	starts []int
}

func newLineIndex(text []byte) *lineIndex {
	li := &lineIndex{text: text, starts: []int{0}}
	for i, b := range text {
		if b == '\n' {
			li.starts = append(li.starts, i+1)
		}
	}
	return li
}

// Location is a place in a chart file; Line and Column are 1-based, Column counts code points.
type Location struct {
	File   string
	Line   int
	Column int
}

func (c *Chart) location(file string, pos int) Location {
	li := c.files[file]
	if li == nil || pos < 0 || pos > len(li.text) {
		return Location{File: file}
	}
	i := sort.Search(len(li.starts), func(i int) bool { return li.starts[i] > pos }) - 1
	return Location{File: file, Line: i + 1, Column: utf8.RuneCount(li.text[li.starts[i]:pos]) + 1}
}

// actionEnd returns the column just past the "}}" that closes the action at loc, on loc's
// line; just past loc when the line has none (an action spanning lines).
func (c *Chart) actionEnd(loc Location) int {
	li := c.files[loc.File]
	if li == nil || loc.Line < 1 || loc.Line > len(li.starts) {
		return loc.Column + 1
	}
	line := li.text[li.starts[loc.Line-1]:]
	if nl := bytes.IndexByte(line, '\n'); nl >= 0 {
		line = line[:nl]
	}
	from := 0 // byte offset of loc.Column in line
	for col := 1; col < loc.Column && from < len(line); col++ {
		_, size := utf8.DecodeRune(line[from:])
		from += size
	}
	i := bytes.Index(line[from:], []byte("}}"))
	if i < 0 {
		return loc.Column + 1
	}
	return loc.Column + utf8.RuneCount(line[from:from+i]) + 2
}

// Origin is where a rendered byte came from.
type Origin struct {
	Location            // the template node that wrote it (outside library charts)
	Via      []Location // the include and template call sites that led there, outermost first
	Literal  bool       // the byte is the template's own text, not an action's output
}

// Origin returns where the byte at offset off of a manifest was written. A byte written
// inside a library chart (bitnami's common) is placed at the call site that used it.
func (c *Chart) Origin(m *Manifest, off int) (Origin, bool) {
	seg, delta, ok := m.sm.at(off)
	node := c.table.node(seg.node)
	if !ok || node == nil {
		return Origin{}, false
	}
	var chain []int // call sites, outermost first
	for f := seg.calls; f != nil; f = f.parent {
		chain = append([]int{f.call}, chain...)
	}
	pos, literal := node.pos, node.kind == kindText
	if literal {
		pos += delta
	}
	primary := c.location(node.file, pos)
	// Move out of library charts: a finding belongs where the chart uses the helper.
	for len(chain) > 0 && c.inLibrary(primary.File) {
		last := c.table.node(chain[len(chain)-1])
		if last == nil {
			break
		}
		primary, literal = c.location(last.file, last.pos), false
		chain = chain[:len(chain)-1]
	}
	o := Origin{Location: primary, Literal: literal}
	for _, id := range chain {
		n := c.table.node(id)
		if n == nil {
			continue
		}
		if loc := c.location(n.file, n.pos); loc != primary {
			o.Via = append(o.Via, loc)
		}
	}
	return o, true
}

func (c *Chart) inLibrary(file string) bool {
	for dir := range c.library {
		if strings.HasPrefix(file, dir+string(filepath.Separator)) {
			return true
		}
	}
	return false
}

// candidates returns the values paths (from the root's values) that the nodes around a
// rendered byte read: the action that printed it, the call sites that led to it, the
// guards around it; innermost first.
func (c *Chart) candidates(m *Manifest, seg segment) [][]any {
	var out [][]any
	seen := map[string]bool{}
	add := func(id int) {
		n := c.table.node(id)
		if n == nil {
			return
		}
		for _, p := range n.values {
			for _, path := range c.expand(splitPath(m.scope + p)) {
				key := joinPath(path)
				if !seen[key] {
					seen[key] = true
					out = append(out, path)
				}
			}
		}
	}
	add(seg.node)
	for f := seg.calls; f != nil; f = f.parent {
		add(f.call)
	}
	for g := seg.guards; g != nil; g = g.parent {
		add(g.node)
	}
	return out
}

// expand turns a values path into the concrete paths it may stand for: "[*]" (an element of a
// range) becomes each index of the list, and a path to a list is followed by its elements
// too (a list rendered whole, by toYaml or tpl): the rendered value decides which one.
func (c *Chart) expand(path []any) [][]any {
	for i, e := range path {
		if e != wildcard {
			continue
		}
		list, _ := lookupList(c.values.merged, path[:i])
		var out [][]any
		for j := range list {
			concrete := append(append(append([]any(nil), path[:i]...), j), path[i+1:]...)
			out = append(out, c.expand(concrete)...)
		}
		return out
	}
	out := [][]any{path}
	list, _ := lookupList(c.values.merged, path)
	for j := range list {
		out = append(out, append(append([]any(nil), path...), j))
	}
	return out
}

// wildcard stands for any element of a list in a values path.
const wildcard = "[*]"

func lookupList(v map[string]any, path []any) ([]any, bool) {
	got, ok := lookup(v, path)
	list, isList := got.([]any)
	return list, ok && isList
}

// ValueSource returns the values key that supplied the scalar rendered at offset off, whose
// path in its object is objPath and whose text is rendered: a values path read by the
// action that printed it (or by a call site or guard around it) that, extended by the end
// of objPath, holds that very scalar. Nil when no values key supplied it.
func (c *Chart) ValueSource(m *Manifest, off int, objPath []any, rendered string) *ValuesRef {
	seg, _, ok := m.sm.at(off)
	if !ok {
		return nil
	}
	for _, p := range c.candidates(m, seg) {
		for k := 0; k <= len(objPath); k++ {
			q := append(append([]any(nil), p...), objPath[len(objPath)-k:]...)
			if v, ok := lookup(map[string]any(c.values.merged), q); ok && isScalar(v) && scalarText(v) == rendered {
				return c.values.anchored(q, p, objPath[:len(objPath)-k])
			}
		}
	}
	return nil
}

// MapSource returns the values key whose map was rendered as the mapping at offset off
// (path objPath in its object, holding keys): where a field missing from that mapping
// (missing, "" for none) is to be added. Nil when the mapping did not come from values, or
// when the values have the missing field and the template left it out.
func (c *Chart) MapSource(m *Manifest, off int, objPath []any, keys []string, missing string) *ValuesRef {
	seg, _, ok := m.sm.at(off)
	if !ok {
		return nil
	}
	for _, p := range c.candidates(m, seg) {
		for k := 0; k <= len(objPath); k++ {
			q := append(append([]any(nil), p...), objPath[len(objPath)-k:]...)
			v, ok := lookup(map[string]any(c.values.merged), q)
			mv, isMap := asMap(v)
			if !ok || !isMap || !hasKeys(mv, keys) {
				continue
			}
			if _, has := mv[missing]; has && missing != "" {
				return nil // the values set it, the template left it out: not the values' doing
			}
			return c.values.anchored(q, p, objPath[:len(objPath)-k])
		}
	}
	return nil
}

// GuardSource returns the values key of a guard that was false within the rendered range
// [start, end) (a missing field's owner) and whose block would have written key: the key
// that, set, adds the missing field. Nil when no such guard.
func (c *Chart) GuardSource(m *Manifest, start, end int, key string) *ValuesRef {
	for _, s := range m.sm.skipped {
		n := c.table.node(s.node)
		if s.at < start || s.at > end || n == nil {
			continue
		}
		if len(n.values) == 0 || !writesKey(n.body, key) {
			continue
		}
		if ref := c.values.locate(splitPath(m.scope + n.values[0])); ref != nil {
			return ref
		}
	}
	return nil
}

// writesKey reports whether template text holds key as a YAML key.
func writesKey(body, key string) bool {
	for i := 0; ; {
		j := strings.Index(body[i:], key+":")
		if j < 0 {
			return false
		}
		at := i + j
		if at == 0 || strings.ContainsRune(" \t\n{-\"'", rune(body[at-1])) {
			return true
		}
		i = at + 1
	}
}

func hasKeys(m map[string]any, keys []string) bool {
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			return false
		}
	}
	return true
}
