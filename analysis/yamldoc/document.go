// Package yamldoc holds the YAML documents of a manifest file and positions in them: splitting
// a file into documents and parsing each, the Mapper that converts byte offsets to lines and
// columns, the extent of a node in the text, the range that a JSON path highlights, the
// Kubernetes objects of a document, and the one walker that follows a JSON path through a tree.
package yamldoc

import (
	"fmt"
	"hash/maphash"
	"regexp"
	"strconv"
	"strings"
	"unsafe"

	"go.yaml.in/yaml/v3"
)

// Document is one YAML document of a file, parsed on its own so that a syntax error cannot
// hide the documents around it (the yaml.v3 stream decoder never recovers from one).
type Document struct {
	Index  int    // 0-based position in the file, counting empty documents too
	Offset int    // byte offset of the document's first line in the file
	Line   int    // 0-based line of that first line in the file
	Text   string // the document's lines, from its "---" (if any) to before the next document
	Hash   uint64 // of Text: equal hashes mean the analysis can be reused, rebased to Offset

	Root    *yaml.Node   // the document's content node; nil for an empty document or on error
	Err     *SyntaxError // why the document did not parse, or nil
	Aliases bool         // the document uses aliases: its values may expand far beyond its text

	mapper   *Mapper // over Text: yaml positions are relative to the document
	released bool    // Root was dropped by Release: it parsed, but cannot be fixed
}

// Mapper returns the index of the document's own lines (positions relative to the document);
// nil once the document was released.
func (d *Document) Mapper() *Mapper { return d.mapper }

// Released returns a copy of d without its parsed tree and line index, for a result kept only
// for its findings. parsed records that the tree existed, so that Dropped can tell why a fix is
// impossible.
func (d *Document) Released(parsed bool) *Document {
	c := *d
	c.Root, c.mapper, c.released = nil, nil, parsed
	return &c
}

// Dropped reports whether the document parsed but its tree was released.
func (d *Document) Dropped() bool { return d.released }

// MovedTo returns a copy of d at at's place in a new version of the file, whose text is
// fileText: the same document text, found again at at.Offset. The copy's text points into
// fileText, so that older versions of the file can be freed.
func (d *Document) MovedTo(at *Document, fileText string) *Document {
	c := *d
	c.Index, c.Offset, c.Line = at.Index, at.Offset, at.Line
	c.Text = fileText[at.Offset : at.Offset+len(d.Text)]
	if d.mapper != nil {
		c.mapper = &Mapper{text: c.Text, lineStarts: d.mapper.lineStarts, ascii: d.mapper.ascii}
	}
	return &c
}

// SyntaxError is a document that does not parse (or breaks a structural rule such as a
// duplicate key), with the document-relative byte range to report it at.
type SyntaxError struct {
	Msg   string
	Range Range
	Limit bool // a protective limit refused the text (nesting), not a mistake being typed
}

// Error returns the message.
func (e *SyntaxError) Error() string { return e.Msg }

var hashSeed = maphash.MakeSeed()

// Marker matches a line that starts or ends a document: "---" or "..." at column 0,
// alone or followed by white space. YAML forbids such lines inside a document's content, so
// splitting on them is exact.
func Marker(line string) (start, end bool) {
	if len(line) < 3 || (len(line) > 3 && line[3] != ' ' && line[3] != '\t') {
		return false, false
	}
	return line[:3] == "---", line[:3] == "..."
}

// SplitDocuments cuts text into its YAML documents, without parsing them. A "---" line belongs
// to the document it opens; a "..." line to the document it closes. Directives ("%YAML") and
// comments before a "---" stay with the document that follows.
func SplitDocuments(text string) []*Document {
	return SplitMapped(NewMapper(text))
}

// SplitMapped is SplitDocuments over an existing index of the text, which also gives each
// document the index of its own lines.
func SplitMapped(m *Mapper) []*Document {
	text := m.text
	var docs []*Document
	start, startLine := 0, 0
	onlyPreamble := true // the current chunk holds only comments, blank lines and directives
	cut := func(end, nextLine int) {
		if end > start || len(docs) == 0 {
			docs = append(docs, &Document{Index: len(docs), Offset: start, Line: startLine, Text: text[start:end]})
		}
		start, startLine, onlyPreamble = end, nextLine, true
	}
	for line := 0; line < m.LineCount(); line++ {
		opens, closes, content := splitRole(m.Line(line))
		switch {
		case opens && !onlyPreamble:
			cut(m.LineStart(line), line)
			onlyPreamble = false
		case opens:
			onlyPreamble = false
		case closes:
			next := len(text)
			if line+1 < m.LineCount() {
				next = m.LineStart(line + 1)
			}
			cut(next, line+1)
		case content:
			onlyPreamble = false
		}
	}
	if start < len(text) {
		cut(len(text), m.LineCount())
	}
	for _, d := range docs {
		d.index(m)
	}
	return docs
}

// index sets the document's hash and line index from m, the Mapper of the text it is in.
func (d *Document) index(m *Mapper) {
	d.Hash = maphash.String(hashSeed, d.Text)
	d.mapper = m.Slice(d.Offset, d.Offset+len(d.Text)) // documents start at a line start
}

// splitRole is what a line means to SplitMapped: a marker that opens or closes a document,
// or content (anything but blank lines, comments and directives, which belong to the next
// document when nothing else precedes them).
func splitRole(line string) (opens, closes, content bool) {
	if opens, closes = Marker(line); opens || closes {
		return opens, closes, false
	}
	trimmed := strings.TrimSpace(line)
	return false, false, trimmed != "" && trimmed[0] != '#' && trimmed[0] != '%'
}

// SameSplitRole reports whether a line that changed from before to after, its line break
// untouched, leaves SplitMapped's cuts where they were: it opens, closes or holds content as
// before.
func SameSplitRole(before, after string) bool {
	o1, c1, n1 := splitRole(before)
	o2, c2, n2 := splitRole(after)
	return o1 == o2 && c1 == c2 && n1 == n2
}

// Resized returns d as SplitMapped would find it in m's text, after an edit inside one of its
// lines changed its length by delta and SameSplitRole held: same place, same line, its text
// longer by delta.
func (d *Document) Resized(m *Mapper, delta int) *Document {
	r := &Document{Index: d.Index, Offset: d.Offset, Line: d.Line, Text: m.text[d.Offset : d.Offset+len(d.Text)+delta]}
	r.index(m)
	return r
}

// Parse parses the document's text into Root, or records a SyntaxError; a document that has
// its tree already (Patched) is left as it is. It is safe to call once per document; documents
// are independent, so they may be parsed concurrently.
func (d *Document) Parse() {
	if d.Root != nil {
		return
	}
	if d.mapper == nil {
		d.mapper = NewMapper(d.Text)
	}
	if strings.TrimSpace(d.Text) == "" {
		return
	}
	var n yaml.Node
	// yaml.v3 only copies out of its input, so the text's bytes are handed over as they are:
	// a copy would be one more allocation the size of every document.
	err := safeUnmarshal(unsafe.Slice(unsafe.StringData(d.Text), len(d.Text)), &n)
	if err != nil {
		d.Err = d.syntaxError(err)
		return
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		d.Root = n.Content[0]
	}
	if d.Root != nil {
		if serr := d.checkStructure(d.Root, 0); serr != nil {
			d.Err, d.Root = serr, nil
		}
	}
}

// safeUnmarshal turns a panic inside the YAML library into an error: bad input must never
// take the process down.
func safeUnmarshal(data []byte, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: parser failed: %v", r)
		}
	}()
	return yaml.Unmarshal(data, n)
}

var errLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxError places a yaml.v3 error. Its messages carry a line at best (sometimes one too
// low, for errors found at the start of the next token); the range covers that line's text.
func (d *Document) syntaxError(err error) *SyntaxError {
	msg := err.Error()
	line := -1
	if m := errLine.FindStringSubmatch(msg); m != nil {
		if n, convErr := strconv.Atoi(m[1]); convErr == nil {
			line, msg = n-1, m[2]
			// these errors carry the line before the construct that failed, unless it failed
			// at the end of the document
			if strings.HasPrefix(msg, "did not find expected") && line+1 < d.mapper.LineCount() && strings.TrimSpace(d.mapper.Line(line+1)) != "" {
				line++
			}
		}
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	if line < 0 || line >= d.mapper.LineCount() {
		line = d.firstContentLine()
	}
	start := d.mapper.LineStart(line)
	content := d.mapper.Line(line)
	indent := len(content) - len(strings.TrimLeft(content, " \t"))
	return &SyntaxError{Msg: msg, Range: Range{start + indent, d.mapper.LineEnd(line)}}
}

// firstContentLine is the first line that is not blank, a comment or a marker.
func (d *Document) firstContentLine() int {
	for line := 0; line < d.mapper.LineCount(); line++ {
		t := strings.TrimSpace(d.mapper.Line(line))
		if t != "" && t[0] != '#' && t != "---" {
			return line
		}
	}
	return 0
}

// MaxDepth bounds the nesting of a document; deeper input is refused, not walked.
const MaxDepth = 1000

// checkStructure reports what yaml.v3 accepts into a Node but Kubernetes rejects: duplicate
// keys, and keys that are not scalars. It also bounds nesting depth.
func (d *Document) checkStructure(n *yaml.Node, depth int) *SyntaxError {
	if depth > MaxDepth {
		return &SyntaxError{Msg: fmt.Sprintf("document is nested deeper than %d levels", MaxDepth), Range: d.NodeStartRange(n), Limit: true}
	}
	switch n.Kind {
	case yaml.MappingNode:
		var seen map[string]*yaml.Node
		if len(n.Content) > 2 {
			seen = make(map[string]*yaml.Node, len(n.Content)/2)
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode && k.Kind != yaml.AliasNode {
				return &SyntaxError{Msg: "mapping key is not a scalar (an unquoted template or flow value used as a key?)", Range: d.NodeStartRange(k)}
			}
			if seen != nil && k.Kind == yaml.ScalarNode && k.Value != "<<" {
				if first, dup := seen[k.Value]; dup {
					return &SyntaxError{
						Msg:   fmt.Sprintf("mapping key %q already defined at line %d", k.Value, d.Line+first.Line),
						Range: d.NodeRange(k),
					}
				}
				seen[k.Value] = k
			}
			if err := d.checkStructure(n.Content[i+1], depth+1); err != nil {
				return err
			}
		}
	case yaml.AliasNode:
		d.Aliases = true
	case yaml.SequenceNode, yaml.DocumentNode:
		for _, c := range n.Content {
			if err := d.checkStructure(c, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}
