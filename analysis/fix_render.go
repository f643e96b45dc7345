package analysis

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// fixStyle is how a document writes YAML, so that inserted text looks like the rest of it.
type fixStyle struct {
	indent    int    // spaces per nesting level of block mappings (2 or 4, usually)
	seqIndent int    // columns from a key to the "-" of its block sequence: 0 for flush sequences
	nl        string // line terminator: "\n" or "\r\n"
}

// inferStyle reads the indentation width, sequence style and line terminator of a document.
// Each is the most common one among the document's block collections; the defaults (2 spaces,
// sequences indented like mappings, "\n") apply when the document has no example.
func (d *Document) inferStyle() fixStyle {
	indents := map[int]int{}
	seqs := map[int]int{}
	var walk func(n *yaml.Node, depth int)
	walk = func(n *yaml.Node, depth int) {
		if n == nil || depth > MaxDepth || n.Style&yaml.FlowStyle != 0 {
			return
		}
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if v.Style&yaml.FlowStyle == 0 && len(v.Content) > 0 && v.Line > k.Line {
					keyCol := d.col(d.nodeOffset(k))
					switch v.Kind {
					case yaml.MappingNode:
						if w := d.col(d.nodeOffset(v.Content[0])) - keyCol; w > 0 && w <= 8 {
							indents[w]++
						}
					case yaml.SequenceNode:
						if dash, ok := d.dashBefore(v.Content[0]); ok {
							if w := d.col(dash) - keyCol; w >= 0 && w <= 8 {
								seqs[w]++
							}
						}
					}
				}
				walk(v, depth+1)
			}
		case yaml.SequenceNode:
			for _, c := range n.Content {
				walk(c, depth+1)
			}
		}
	}
	walk(d.Root, 0)
	st := fixStyle{indent: mode(indents, 2), nl: "\n"}
	st.seqIndent = mode(seqs, st.indent)
	if i := strings.IndexByte(d.Text, '\n'); i > 0 && d.Text[i-1] == '\r' {
		st.nl = "\r\n"
	}
	return st
}

// mode is the most frequent key of counts (the smallest on a tie), or def when counts is empty.
func mode(counts map[int]int, def int) int {
	best, bestN := def, 0
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		if counts[k] > bestN {
			best, bestN = k, counts[k]
		}
	}
	return best
}

// col is the column (in code points) of a document offset. Block indentation is made of ASCII
// spaces and "- ", so this is also the number of spaces that reach it.
func (d *Document) col(off int) int { return d.mapper.Pos(off, CodePoints).Col }

// dashBefore finds the "-" that introduces a block sequence item.
func (d *Document) dashBefore(item *yaml.Node) (int, bool) {
	s := d.nodeOffset(item)
	t := d.Text
	i := s - 1
	for i >= 0 && (t[i] == ' ' || t[i] == '\n' || t[i] == '\r') {
		i--
	}
	if i >= 0 && t[i] == '-' {
		return i, true
	}
	// An empty item ("- " alone) is reported at the dash's column + 1.
	if s < len(t) && t[s] == '-' {
		return s, true
	}
	return 0, false
}

// spaces returns n spaces.
func spaces(n int) string { return strings.Repeat(" ", max(n, 0)) }

// renderBlockEntry writes "key: value" for a block mapping at column col, starting with a line
// terminator: nested mappings and lists go on their own lines, indented in the document's style.
func (st fixStyle) renderBlockEntry(b *strings.Builder, key string, v any, col int) {
	b.WriteString(st.nl)
	b.WriteString(spaces(col))
	b.WriteString(renderKey(key))
	b.WriteByte(':')
	st.renderBlockValue(b, v, col)
}

// renderBlockValue writes what follows "key:" for a key at column col.
func (st fixStyle) renderBlockValue(b *strings.Builder, v any, col int) {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			b.WriteString(" {}")
			return
		}
		for _, k := range slices.Sorted(maps.Keys(x)) {
			st.renderBlockEntry(b, k, x[k], col+st.indent)
		}
	case []any:
		if len(x) == 0 {
			b.WriteString(" []")
			return
		}
		for _, item := range x {
			b.WriteString(st.nl)
			st.renderBlockItem(b, item, col+st.seqIndent, 0)
		}
	default:
		b.WriteByte(' ')
		b.WriteString(renderScalar(v, false, 0))
	}
}

// renderBlockItem writes "- value" for a block sequence whose dashes are at column dash; the
// caller has written the line terminator. quote is the quoting style of the list's other items.
func (st fixStyle) renderBlockItem(b *strings.Builder, v any, dash int, quote yaml.Style) {
	b.WriteString(spaces(dash))
	b.WriteString("- ")
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			b.WriteString("{}")
			return
		}
		for i, k := range slices.Sorted(maps.Keys(x)) {
			if i > 0 {
				b.WriteString(st.nl)
				b.WriteString(spaces(dash + 2))
			}
			b.WriteString(renderKey(k))
			b.WriteByte(':')
			st.renderBlockValue(b, x[k], dash+2)
		}
	case []any:
		b.WriteString(renderFlow(x, 0))
	default:
		b.WriteString(renderScalar(v, false, quote))
	}
}

// renderFlow writes a value in flow style: {a: 1, b: [x, y]}.
func renderFlow(v any, quote yaml.Style) string {
	switch x := v.(type) {
	case map[string]any:
		parts := make([]string, 0, len(x))
		for _, k := range slices.Sorted(maps.Keys(x)) {
			parts = append(parts, renderKey(k)+": "+renderFlow(x[k], 0))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case []any:
		parts := make([]string, 0, len(x))
		for _, item := range x {
			parts = append(parts, renderFlow(item, quote))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return renderScalar(v, true, quote)
}

// renderKey writes a mapping key; keys are strings, quoted only when they must be.
func renderKey(k string) string { return renderScalar(k, true, 0) }

// renderScalar writes a scalar that reads back as exactly v, for YAML 1.2 (yaml.v3) and for
// YAML 1.1 (the Kubernetes API server). Strings are plain when that is safe, else quoted in
// the given style (double quotes when quote is 0 or cannot hold the string). inFlow forbids the
// flow indicators in plain strings.
func renderScalar(v any, inFlow bool, quote yaml.Style) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(x)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return "null"
		}
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return strconv.FormatInt(int64(x), 10)
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	case string:
		switch {
		case quote&yaml.SingleQuotedStyle != 0 && !strings.ContainsAny(x, "\n\r") && printable(x):
			return "'" + strings.ReplaceAll(x, "'", "''") + "'"
		case quote&yaml.DoubleQuotedStyle == 0 && plainSafe(x, inFlow):
			return x
		}
		return strconv.Quote(x)
	}
	return strconv.Quote(fmt.Sprint(v))
}

func printable(s string) bool {
	for _, r := range s {
		if !strconv.IsPrint(r) {
			return false
		}
	}
	return true
}

// yaml11Words are plain words that YAML 1.1 (and so Kubernetes) reads as booleans or null
// although YAML 1.2 reads them as strings.
var yaml11Words = map[string]bool{
	"y": true, "Y": true, "yes": true, "Yes": true, "YES": true, "n": true, "N": true, "no": true, "No": true, "NO": true,
	"on": true, "On": true, "ON": true, "off": true, "Off": true, "OFF": true,
}

// plainSafe reports whether s can be written as a plain scalar and read back as the string s.
func plainSafe(s string, inFlow bool) bool {
	if s == "" || strings.TrimSpace(s) != s || !printable(s) || yaml11Words[s] || s == "<<" || s == "=" {
		return false
	}
	if strings.ContainsAny(s[:1], "-?:,[]{}#&*!|>'\"%@`") && !(s[0] == '-' && len(s) > 1 && s[1] != ' ') {
		return false
	}
	if strings.Contains(s, ": ") || strings.Contains(s, " #") || strings.HasSuffix(s, ":") || strings.Contains(s, "\t") {
		return false
	}
	if inFlow && strings.ContainsAny(s, ",[]{}") {
		return false
	}
	// Whatever else YAML would resolve to another type (numbers, booleans, null, dates in
	// YAML 1.1 are strings to yaml.v3 but not a concern for Kubernetes fields): ask the parser.
	var n yaml.Node
	if err := yaml.Unmarshal([]byte("- "+s), &n); err != nil || len(n.Content) != 1 {
		return false
	}
	seq := n.Content[0]
	if seq.Kind != yaml.SequenceNode || len(seq.Content) != 1 {
		return false
	}
	item := seq.Content[0]
	return item.Kind == yaml.ScalarNode && item.ShortTag() == "!!str" && item.Value == s
}

// quoteStyleOf is the quoting style shared by every scalar item of a list, or 0.
func quoteStyleOf(items []*yaml.Node) yaml.Style {
	var style yaml.Style
	for i, it := range items {
		if it.Kind != yaml.ScalarNode {
			return 0
		}
		s := it.Style & (yaml.DoubleQuotedStyle | yaml.SingleQuotedStyle)
		if i == 0 {
			style = s
		} else if s != style {
			return 0
		}
	}
	return style
}

// nestValue wraps v in one mapping per key: nestValue([a b], v) is {a: {b: v}}.
func nestValue(keys []string, v any) any {
	for i := len(keys) - 1; i >= 0; i-- {
		v = map[string]any{keys[i]: v}
	}
	return v
}
