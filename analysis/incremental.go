package analysis

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"
)

// Reanalyze is Analyze for a new version of the text that prev analysed: the result is the
// same, but only the documents around the bytes that differ are split, hashed, parsed and
// evaluated again, and the documents before and after them are taken over from prev with
// their offsets shifted. It keeps a keystroke in a 35,000-line file as cheap as one in the
// document being edited. m, if not nil, is a Mapper over in.Text (Mapper.Replace makes one
// without scanning the whole text); prev may be nil or from another engine, in which case
// Reanalyze is Analyze.
func (e *Engine) Reanalyze(ctx context.Context, in Input, m *yamldoc.Mapper, prev *Result) (*Result, error) {
	if prev == nil || prev.engine != e || prev.Skipped || len(prev.Docs) == 0 || in.Helm {
		return e.Analyze(ctx, in, prev)
	}
	if m == nil || m.Text() != in.Text {
		m = yamldoc.NewMapper(in.Text)
	}
	res := &Result{Path: in.Path, Mapper: m, engine: e}
	old := prev.Mapper
	changed := differing(old, m) // the bytes of in.Text that differ from prev's
	p := changed.Start
	// prev passed the limits, so only the changed bytes, and the lines that hold them, can
	// fail them now: look there, and let refuse make the finding if one does.
	suspect := len(in.Text) > MaxFileSize || strings.IndexByte(in.Text[changed.Start:changed.End], 0) >= 0
	for line := m.LineOf(changed.Start); !suspect && line < m.LineCount() && m.LineStart(line) <= changed.End; line++ {
		suspect = m.LineEnd(line)-m.LineStart(line) > MaxLineBytes
	}
	if suspect {
		if f, refused := e.refuse(in, m); refused {
			res.Findings, res.Skipped = []Finding{f}, true
			return res, nil
		}
	}
	docs, kept := resplit(prev, m, changed)
	if len(docs) > MaxDocuments {
		res.Findings = []Finding{e.limitFinding(m, fmt.Sprintf("file has %d YAML documents, over the limit of %d: not checked", len(docs), MaxDocuments))}
		res.Skipped = true
		return res, nil
	}
	reuse := map[uint64]*DocResult{}
	for _, d := range prev.Docs {
		reuse[d.Doc.Hash] = d
	}
	res.Docs = make([]*DocResult, len(docs))
	oldEnd := changed.End - len(in.Text) + len(old.Text())
	var todo []int
	for i, d := range docs {
		if old := kept[i]; old != nil && reusable(old, d) {
			res.Docs[i] = old
			continue
		}
		if old, ok := reuse[d.Hash]; ok && old.Doc.Text == d.Text && reusable(old, d) {
			res.Docs[i] = old.movedTo(old.Doc.MovedTo(d, m.Text()))
			continue
		}
		docs[i] = patched(prev, d, p, oldEnd, in.Text[p:changed.End])
		todo = append(todo, i)
	}
	known := e.verdictsAround(prev, p, oldEnd)
	if err := e.analyzeDocs(ctx, docs, todo, res.Docs, changedBytes(docs, todo) >= parallelThreshold, known); err != nil {
		return nil, err
	}
	// The documents that hold changed bytes keep their trees and verdicts through Compact for
	// the next keystroke; an analysis of the same text again (a re-check) marks none.
	for _, i := range todo {
		d := docs[i]
		res.Docs[i].edited = (changed.End > changed.Start || oldEnd > p) && d.Offset <= changed.End && changed.Start <= d.Offset+len(d.Text)
	}
	// From here on, as in Analyze (isHelmTemplate needs a document that does not parse).
	if hasSyntaxError(res.Docs) && isHelmTemplate(in.Text, res.Docs) {
		res.Docs = nil
		res.Findings, res.Skipped = []Finding{e.helmNotice(in.Text, m)}, true
		return res, nil
	}
	res.gather()
	return res, nil
}

// patched is d with its tree patched from the document of prev at d's place (Document.Patched)
// when the bytes [p, oldEnd) of prev's text, replaced by repl, all lie in that document and
// the edit is one a patch covers; d itself otherwise, to be parsed.
func patched(prev *Result, d *yamldoc.Document, p, oldEnd int, repl string) *yamldoc.Document {
	i := sort.Search(len(prev.Docs), func(i int) bool { return prev.Docs[i].Doc.Offset >= d.Offset })
	if i == len(prev.Docs) {
		return d
	}
	od := prev.Docs[i].Doc
	if od.Offset != d.Offset || od.Root == nil || p < od.Offset || oldEnd > od.Offset+len(od.Text) ||
		len(d.Text) != len(od.Text)+len(repl)-(oldEnd-p) {
		return d
	}
	if pd := od.Patched(p-od.Offset, oldEnd-od.Offset, repl, d); pd != nil {
		return pd
	}
	return d
}

func hasSyntaxError(docs []*DocResult) bool {
	for _, d := range docs {
		if d.Doc.Err != nil {
			return true
		}
	}
	return false
}

// reusable reports whether old, the analysis of a document with d's text, holds for d. An
// evaluation error is retried, as Analyze does. A syntax error is kept only on the same line:
// its message may name a line of the file (a duplicate key's first definition).
func reusable(old *DocResult, d *yamldoc.Document) bool {
	return old.Err == nil && (old.Doc.Err == nil || old.Doc.Line == d.Line)
}

// Compact releases the parsed YAML (and line index) of the documents that have no findings, so
// that a Result kept as the cache of an open file costs little more than its text: a 2 MB file
// of CustomResourceDefinitions otherwise keeps tens of MB of yaml.Node trees alive. Reuse by
// Analyze and Reanalyze is unaffected (it needs the documents' text, hash, objects and
// findings); documents with findings keep their trees for code actions, and the documents the
// last edit changed keep theirs for the next keystroke, which patches the tree if it can
// (Document.Patched) rather than parse the document again. Likewise only those documents keep
// their verdicts (verdict.go): the first keystroke in a document evaluates it, the next ones
// reuse what they can, and an open file that is not being edited holds no projections.
func (r *Result) Compact() { r.compact(false) }

// CompactForReport is Compact for a result that only feeds a report: the flagged documents
// release their trees too. Findings, their ranges and the file's line index stay; a fix asked
// of such a result fails with an error. `check` without --fix holds every file's result until
// the report, and the trees of flagged documents are most of what it would hold.
func (r *Result) CompactForReport() { r.compact(true) }

// Settled is r once typing in it has paused: the documents the last edit changed release their
// trees and verdicts as the others did at Compact, so that a file typed into and left open
// costs what any other open file costs. It returns r itself when no document holds them, and
// otherwise a copy, since r may be in use elsewhere (a code action reading it).
func (r *Result) Settled() *Result {
	if !slices.ContainsFunc(r.Docs, func(d *DocResult) bool { return d.edited }) {
		return r
	}
	c := *r
	c.Docs = slices.Clone(r.Docs)
	for i, d := range c.Docs {
		if d.edited {
			s := *d
			s.edited = false
			c.Docs[i] = &s
		}
	}
	c.compact(false)
	return &c
}

func (r *Result) compact(flagged bool) {
	for i, d := range r.Docs {
		keepTree := (len(d.Findings) > 0 || d.edited) && !flagged
		keepVerdicts := d.edited && !flagged
		if (keepTree || !d.holdsTree()) && (keepVerdicts || d.verdicts == nil) {
			continue
		}
		c := *d // a new DocResult: other results may share d
		if !keepVerdicts {
			c.verdicts = nil
		}
		if !keepTree && d.holdsTree() {
			c.Doc = d.Doc.Released(len(d.Findings) > 0)
			c.Objects = make([]yamldoc.Object, len(d.Objects))
			for j, o := range d.Objects {
				c.Objects[j] = yamldoc.Object{Ref: o.Ref, Path: o.Path}
			}
		}
		r.Docs[i] = &c
	}
}

func (d *DocResult) holdsTree() bool {
	if d.Doc.Root != nil || d.Doc.Mapper() != nil {
		return true
	}
	for _, o := range d.Objects {
		if o.Node != nil {
			return true
		}
	}
	return false
}

// resplit returns the documents of m's text and, for each, the DocResult of prev that can be
// taken over unchanged (nil for the documents to analyse or look up by hash). changed is the
// range of m's text that differs from prev's. Only the documents that contain it are split
// again, when the boundaries around them cannot have moved; otherwise the whole text is split.
func resplit(prev *Result, m *yamldoc.Mapper, changed yamldoc.Range) ([]*yamldoc.Document, []*DocResult) {
	old, text := prev.Mapper, m.Text()
	p, newEnd := changed.Start, changed.End
	oldEnd := newEnd - len(text) + len(old.Text()) // the changed bytes: [p, oldEnd) -> [p, newEnd)
	if docs, kept, ok := resplitInLine(prev, m, p, oldEnd, newEnd); ok {
		return docs, kept
	}

	// First document of the region: the last one whose first line (with its line break)
	// lies before the change, so that the cut in front of it is made exactly as before.
	a := 0
	for i, d := range prev.Docs {
		if d.Doc.Offset > p {
			break
		}
		if line := old.LineOf(d.Doc.Offset); line+1 < old.LineCount() && old.LineStart(line+1) < p {
			a = i
		}
	}
	// First document after the region: the first one whose preceding line lies wholly in the
	// unchanged tail, so that the cut in front of it depends only on unchanged lines and on
	// the region's last document (checked below).
	b := len(prev.Docs)
	for i := a + 1; i < len(prev.Docs); i++ {
		if off := prev.Docs[i].Doc.Offset; old.LineStart(old.LineOf(off-1)) >= oldEnd+1 {
			b = i
			break
		}
	}
	regionStart := prev.Docs[a].Doc.Offset
	regionOldEnd := len(old.Text())
	if b < len(prev.Docs) {
		regionOldEnd = prev.Docs[b].Doc.Offset
	}
	delta := newEnd - oldEnd
	regionEnd := regionOldEnd + delta
	if regionEnd <= regionStart || (a == 0 && b == len(prev.Docs)) {
		return fullSplit(text)
	}
	region := yamldoc.SplitMapped(m.Slice(regionStart, regionEnd)) // the file's line index, not a new scan
	if len(region) == 0 || (b < len(prev.Docs) && !cutsBefore(text, m, regionEnd, region[len(region)-1])) {
		return fullSplit(text)
	}

	docs := make([]*yamldoc.Document, 0, a+len(region)+len(prev.Docs)-b)
	kept := make([]*DocResult, 0, cap(docs))
	for _, d := range prev.Docs[:a] {
		moved := d.Doc.MovedTo(d.Doc, m.Text())
		docs = append(docs, moved)
		kept = append(kept, d.movedTo(moved))
	}
	startLine := prev.Docs[a].Doc.Line
	for _, d := range region {
		d.Index += a
		d.Offset += regionStart
		d.Line += startLine
		docs, kept = append(docs, d), append(kept, nil)
	}
	if b < len(prev.Docs) {
		lineDelta := m.LineOf(regionEnd) - old.LineOf(regionOldEnd)
		indexDelta := a + len(region) - b
		for _, d := range prev.Docs[b:] {
			at := *d.Doc
			at.Index += indexDelta
			at.Offset += delta
			at.Line += lineDelta
			if d.Doc.Err != nil && lineDelta != 0 { // see reusable: parse it again
				docs = append(docs, &yamldoc.Document{Index: at.Index, Offset: at.Offset, Line: at.Line, Text: m.Text()[at.Offset : at.Offset+len(at.Text)], Hash: at.Hash})
				kept = append(kept, nil)
				continue
			}
			moved := d.Doc.MovedTo(&at, m.Text())
			docs = append(docs, moved)
			kept = append(kept, d.movedTo(moved))
		}
	}
	return docs, kept
}

// resplitInLine is resplit for the commonest keystroke: the changed bytes lie inside one
// line's content, its line break untouched, and the line opens, closes or holds content as
// before (yamldoc.SameSplitRole). The documents are then cut where they were: the one that
// holds the line is resized, the others are taken over, moved by the change in length. Not
// splitting the document again matters for a large one: a keystroke in the description of a
// 23,000-line CRD would otherwise scan all its lines.
func resplitInLine(prev *Result, m *yamldoc.Mapper, p, oldEnd, newEnd int) ([]*yamldoc.Document, []*DocResult, bool) {
	old, text := prev.Mapper, m.Text()
	line := old.LineOf(p)
	if old.LineCount() != m.LineCount() || line != old.LineOf(oldEnd) || oldEnd > old.LineEnd(line) || newEnd > m.LineEnd(line) ||
		m.LineStart(line) != old.LineStart(line) || !yamldoc.SameSplitRole(old.Line(line), m.Line(line)) {
		return nil, nil, false
	}
	// The document that holds the line: the last that starts at or before it.
	at := sort.Search(len(prev.Docs), func(i int) bool { return prev.Docs[i].Doc.Offset > old.LineStart(line) }) - 1
	if at < 0 || old.LineEnd(line) > prev.Docs[at].Doc.Offset+len(prev.Docs[at].Doc.Text) {
		return nil, nil, false
	}
	delta := newEnd - oldEnd
	docs := make([]*yamldoc.Document, len(prev.Docs))
	kept := make([]*DocResult, len(prev.Docs))
	for i, d := range prev.Docs {
		switch {
		case i == at:
			docs[i] = d.Doc.Resized(m, delta)
		case i < at:
			docs[i] = d.Doc.MovedTo(d.Doc, text)
			kept[i] = d.movedTo(docs[i])
		default:
			moved := *d.Doc
			moved.Offset += delta
			docs[i] = d.Doc.MovedTo(&moved, text)
			kept[i] = d.movedTo(docs[i])
		}
	}
	return docs, kept, true
}

func fullSplit(text string) ([]*yamldoc.Document, []*DocResult) {
	docs := yamldoc.SplitDocuments(text)
	return docs, make([]*DocResult, len(docs))
}

// cutsBefore reports whether SplitDocuments of the whole text starts a document at offset,
// given last, the document the region split ended with. The lines at and before offset are
// unchanged and did start a document in the previous text: after a "..." line the cut is
// certain; before a "---" line it is made unless last held only comments, blank lines and
// directives (which then belong to the next document).
func cutsBefore(text string, m *yamldoc.Mapper, offset int, last *yamldoc.Document) bool {
	if _, closes := yamldoc.Marker(m.Line(m.LineOf(offset - 1))); closes {
		return true
	}
	lm := last.Mapper()
	for line := range lm.LineCount() {
		content := lm.Line(line)
		if opens, _ := yamldoc.Marker(content); opens {
			return true
		}
		if t := strings.TrimSpace(content); t != "" && t[0] != '#' && t[0] != '%' {
			return true
		}
	}
	return false
}

// changedBytes is the size of the documents to analyse, to decide on parallel evaluation as
// Analyze does for the whole text.
func changedBytes(docs []*yamldoc.Document, todo []int) int {
	n := 0
	for _, i := range todo {
		n += len(docs[i].Text)
	}
	return n
}

// differing returns the bytes of m's text that differ from old's: a range outside which the
// texts are equal, empty when they are. For a Mapper made from old by Replace it is the edit
// less its equal ends, and only the edit's bytes are compared; otherwise it is the narrowest
// such range, found by comparing the whole texts. Where equal bytes make the difference
// ambiguous the two may differ; everything downstream takes any such range.
func differing(old, m *yamldoc.Mapper) yamldoc.Range {
	a, b := old.Text(), m.Text()
	start, oldEnd, newEnd, ok := m.EditedFrom(old)
	if !ok {
		start, oldEnd, newEnd = 0, len(a), len(b)
	}
	p := start + commonPrefix(a[start:oldEnd], b[start:newEnd])
	s := commonSuffix(a[p:oldEnd], b[p:newEnd], min(oldEnd, newEnd)-p)
	return yamldoc.Range{Start: p, End: newEnd - s}
}

// commonPrefix returns the length of the longest common prefix of a and b, comparing whole
// blocks first (string equality is vectorised).
func commonPrefix(a, b string) int {
	n := min(len(a), len(b))
	const block = 4096
	i := 0
	for i+block <= n && a[i:i+block] == b[i:i+block] {
		i += block
	}
	for i < n && a[i] == b[i] {
		i++
	}
	return i
}

// commonSuffix returns the length, at most limit, of the longest common suffix of a and b.
func commonSuffix(a, b string, limit int) int {
	const block = 4096
	i := 0
	for i+block <= limit && a[len(a)-i-block:len(a)-i] == b[len(b)-i-block:len(b)-i] {
		i += block
	}
	for i < limit && a[len(a)-1-i] == b[len(b)-1-i] {
		i++
	}
	return i
}
