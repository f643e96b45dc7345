package fix

import (
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"
	"go.yaml.in/yaml/v3"
)

// style is how a document writes YAML, so that inserted text looks like the rest of it.
type style struct {
	indent    int     // spaces per nesting level of block mappings (2 or 4, usually)
	seqIndent int     // columns from a key to the "-" of its block sequence: 0 for flush sequences
	nl        string  // line terminator: "\n" or "\r\n"
	keys      quoting // how most keys are quoted: plain, or quoted in a file that quotes them all
	values    quoting // the same for string values
}

// styleOf reads the indentation width, sequence style, quoting and line terminator of a
// document. Each is the most common one in the document; the defaults (2 spaces, sequences
// indented like mappings, plain scalars, "\n") apply when the document has no example.
func styleOf(d *yamldoc.Document) style {
	indents := map[int]int{}
	seqs := map[int]int{}
	keys, values := map[quoting]int{}, map[quoting]int{}
	var walk func(n *yaml.Node, depth int)
	walk = func(n *yaml.Node, depth int) {
		if n == nil || depth > yamldoc.MaxDepth {
			return
		}
		if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" {
			values[quotingOf(n)]++
		}
		if n.Style&yaml.FlowStyle != 0 {
			return
		}
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				keys[quotingOf(k)]++
				if v.Style&yaml.FlowStyle == 0 && len(v.Content) > 0 && v.Line > k.Line {
					keyCol := column(d, d.NodeOffset(k))
					switch v.Kind {
					case yaml.MappingNode:
						if w := column(d, d.NodeOffset(v.Content[0])) - keyCol; w > 0 && w <= 8 {
							indents[w]++
						}
					case yaml.SequenceNode:
						if dash, ok := dashOf(d, v.Content[0]); ok {
							if w := column(d, dash) - keyCol; w >= 0 && w <= 8 {
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
	st := style{indent: modeOf(indents, 2), nl: "\n", keys: quotingHabit(keys), values: quotingHabit(values)}
	st.seqIndent = modeOf(seqs, st.indent)
	if i := strings.IndexByte(d.Text, '\n'); i > 0 && d.Text[i-1] == '\r' {
		st.nl = "\r\n"
	}
	return st
}

// quotingHabit is quoteDouble or quoteSingle when most scalars are written so, else quotePlain.
func quotingHabit(counts map[quoting]int) quoting {
	q := quoteDouble
	if counts[quoteSingle] > counts[quoteDouble] {
		q = quoteSingle
	}
	if counts[q] > counts[quotePlain] {
		return q
	}
	return quotePlain
}

// modeOf is the most frequent key of counts (the smallest on a tie), or def when counts is empty.
func modeOf(counts map[int]int, def int) int {
	best, bestN := def, 0
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		if counts[k] > bestN {
			best, bestN = k, counts[k]
		}
	}
	return best
}

// column is the column (in code points) of a document offset. Block indentation is made of ASCII
// spaces and "- ", so this is also the number of spaces that reach it.
func column(d *yamldoc.Document, off int) int { return d.Mapper().Pos(off, yamldoc.CodePoints).Col }

// dashOf finds the "-" that introduces a block sequence item.
func dashOf(d *yamldoc.Document, item *yaml.Node) (int, bool) {
	s := d.NodeOffset(item)
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

// quoting is how a string scalar is written.
type quoting int

const (
	quoteDefault quoting = iota // the document's quotingHabit (style.values or .keys)
	quotePlain                  // plain when that is safe, else double quotes
	quoteDouble
	quoteSingle
)

// quotingOf is the quoting of an existing scalar.
func quotingOf(n *yaml.Node) quoting {
	switch {
	case n.Kind != yaml.ScalarNode:
		return quotePlain
	case n.Style&yaml.DoubleQuotedStyle != 0:
		return quoteDouble
	case n.Style&yaml.SingleQuotedStyle != 0:
		return quoteSingle
	}
	return quotePlain
}

// renderBlockEntry writes "key: value" for a block mapping at column col, starting with a line
// terminator: nested mappings and lists go on their own lines, indented in the document's style.
func (st style) renderBlockEntry(b *strings.Builder, key string, v any, col int) {
	b.WriteString(st.nl)
	b.WriteString(spaces(col))
	b.WriteString(st.key(key))
	b.WriteByte(':')
	st.renderBlockValue(b, v, col)
}

// renderBlockValue writes what follows "key:" for a key at column col.
func (st style) renderBlockValue(b *strings.Builder, v any, col int) {
	if m, ok := asOrderedMap(v); ok {
		if len(m.keys) == 0 {
			b.WriteString(" {}")
			return
		}
		for _, k := range m.keys {
			st.renderBlockEntry(b, k, m.vals[k], col+st.indent)
		}
		return
	}
	switch x := v.(type) {
	case []any:
		if len(x) == 0 {
			b.WriteString(" []")
			return
		}
		for _, item := range x {
			b.WriteString(st.nl)
			st.renderBlockItem(b, item, col+st.seqIndent, quoteDefault)
		}
	default:
		b.WriteByte(' ')
		b.WriteString(st.scalar(v, false, quoteDefault))
	}
}

// renderBlockItem writes "- value" for a block sequence whose dashes are at column dash; the
// caller has written the line terminator. q is the quoting of the list's other items.
func (st style) renderBlockItem(b *strings.Builder, v any, dash int, q quoting) {
	b.WriteString(spaces(dash))
	b.WriteString("- ")
	if m, ok := asOrderedMap(v); ok {
		if len(m.keys) == 0 {
			b.WriteString("{}")
			return
		}
		for i, k := range m.keys {
			if i > 0 {
				b.WriteString(st.nl)
				b.WriteString(spaces(dash + 2))
			}
			b.WriteString(st.key(k))
			b.WriteByte(':')
			st.renderBlockValue(b, m.vals[k], dash+2)
		}
		return
	}
	switch x := v.(type) {
	case []any:
		b.WriteString(st.flow(x, q))
	default:
		b.WriteString(st.scalar(v, false, q))
	}
}

// flow writes a value in flow style: {a: 1, b: [x, y]}. q applies to the scalars of a list.
func (st style) flow(v any, q quoting) string {
	if m, ok := asOrderedMap(v); ok {
		parts := make([]string, 0, len(m.keys))
		for _, k := range m.keys {
			parts = append(parts, st.key(k)+": "+st.flow(m.vals[k], quoteDefault))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	switch x := v.(type) {
	case []any:
		parts := make([]string, 0, len(x))
		for _, item := range x {
			parts = append(parts, st.flow(item, q))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return st.scalar(v, true, q)
}

// key writes a mapping key, quoted as the document's keys are.
func (st style) key(k string) string { return renderScalar(k, true, st.keys) }

// scalar writes a value; quoteDefault means the document's quotingHabit for string values.
func (st style) scalar(v any, inFlow bool, q quoting) string {
	if q == quoteDefault {
		q = st.values
	}
	return renderScalar(v, inFlow, q)
}

// renderScalar writes a scalar that reads back as exactly v, for YAML 1.2 (yaml.v3) and for
// YAML 1.1 (the Kubernetes API server). Strings are quoted as q asks when that can hold them,
// plain when q allows and it is safe, else double-quoted. inFlow forbids the flow indicators
// in plain strings.
func renderScalar(v any, inFlow bool, q quoting) string {
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
		case q == quoteSingle && !strings.ContainsAny(x, "\n\r") && printable(x):
			return "'" + strings.ReplaceAll(x, "'", "''") + "'"
		case q != quoteDouble && q != quoteSingle && plainScalarSafe(x, inFlow):
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

// yaml11NonStrings are plain words that YAML 1.1 (and so Kubernetes) reads as booleans or null
// although YAML 1.2 reads them as strings.
var yaml11NonStrings = map[string]bool{
	"y": true, "Y": true, "yes": true, "Yes": true, "YES": true, "n": true, "N": true, "no": true, "No": true, "NO": true,
	"on": true, "On": true, "ON": true, "off": true, "Off": true, "OFF": true,
}

// plainScalarSafe reports whether s can be written as a plain scalar and read back as the string s.
func plainScalarSafe(s string, inFlow bool) bool {
	if s == "" || strings.TrimSpace(s) != s || !printable(s) || yaml11NonStrings[s] || s == "<<" || s == "=" {
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

// listQuoting is the quoting shared by every scalar item of a list, or the default.
func listQuoting(items []*yaml.Node) quoting {
	q := quoteDefault
	for i, it := range items {
		if it.Kind != yaml.ScalarNode || it.ShortTag() != "!!str" {
			return quoteDefault
		}
		if i == 0 {
			q = quotingOf(it)
		} else if quotingOf(it) != q {
			return quoteDefault
		}
	}
	return q
}

// orderedMap is a mapping built from several fix operations: its keys keep the order in which
// the operations added them. Mappings from a rule's value (map[string]any) render sorted.
type orderedMap struct {
	keys []string
	vals map[string]any
}

// asOrderedMap returns a mapping value as an orderedMap.
func asOrderedMap(v any) (*orderedMap, bool) {
	switch x := v.(type) {
	case *orderedMap:
		return x, true
	case map[string]any:
		return &orderedMap{keys: slices.Sorted(maps.Keys(x)), vals: x}, true
	}
	return nil, false
}

// merge sets the value at keys, creating nested mappings. It reports false, changing nothing,
// when that conflicts with what is there: another value, or a value where a mapping is needed.
func (m *orderedMap) merge(keys []string, v any) bool {
	if m.vals == nil {
		m.vals = map[string]any{}
	}
	cur, exists := m.vals[keys[0]]
	if len(keys) == 1 {
		if exists {
			return reflect.DeepEqual(cur, v)
		}
		m.keys = append(m.keys, keys[0])
		m.vals[keys[0]] = v
		return true
	}
	if !exists {
		sub := &orderedMap{}
		sub.merge(keys[1:], v)
		m.keys = append(m.keys, keys[0])
		m.vals[keys[0]] = sub
		return true
	}
	sub, ok := cur.(*orderedMap)
	return ok && sub.merge(keys[1:], v)
}

// nestValue wraps v in one mapping per key: nestValue([a b], v) is {a: {b: v}}.
func nestValue(keys []string, v any) any {
	for i := len(keys) - 1; i >= 0; i-- {
		v = map[string]any{keys[i]: v}
	}
	return v
}
