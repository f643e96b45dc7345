package helm

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/fix"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"
)

// TemplateFix is a finding's fix carried into the template that writes the field as literal
// text: edits of the template file's text as rendered.
type TemplateFix struct {
	File  string // absolute
	Edits []fix.Edit
}

// TemplateFixes returns a finding's fix as edits of the template file, when no values key
// supplied the offending value and the fix's edits on the rendered manifest map exactly to
// the template: every byte they replace, and the whole rendered lines they touch with the
// line breaks around them, are the literal text of the chart's own template, in order, and
// that text is written once in the render (not in a range, not through an include). Then
// the edited template renders as the fixed manifest. Nil otherwise: a values fix, or only a
// suppression, applies.
func (c *Chart) TemplateFixes(f Finding) *TemplateFix {
	return c.templateFix(f, nil, nil)
}

// templateFix is TemplateFixes taking the finding's edits on the rendered manifest from
// earlier when its manifest rendered the same, and recording them in now: every render of an
// open chart asks, and a keystroke changes few manifests.
func (c *Chart) templateFix(f Finding, earlier, now fixEditCache) *TemplateFix {
	// A finding placed on an action or in a helper has no literal line of its own to fix:
	// left before the fix is computed.
	if f.Values != nil || !f.Fixable() || f.Manifest == nil || !f.At.Literal || len(f.At.Via) > 0 {
		return nil
	}
	key := fmt.Sprintf("%s %d %s %v %v", f.Manifest.Name, f.Doc, f.Rule, f.Item, f.Path)
	e, ok := earlier[key]
	if !ok || e.text != f.Manifest.Text {
		e.text = f.Manifest.Text
		e.edits, _ = f.fixEdits()
	}
	if now != nil {
		now[key] = e
	}
	if len(e.edits) == 0 {
		return nil
	}
	return c.translate(f.Manifest, e.edits)
}

// fixEditCache holds findings' fixes as edits of their rendered manifests, by finding; an
// error is no edits.
type fixEditCache map[string]renderedEdits

type renderedEdits struct {
	text  string // the manifest they apply to
	edits []fix.Edit
}

// fixEdits is the finding's fix as edits of its rendered manifest: on the documents its
// analysis parsed when they are kept, else on the manifest parsed again.
func (f *Finding) fixEdits() ([]fix.Edit, error) {
	if f.result != nil {
		if edits, err := f.result.FixEdits(f.Finding); err == nil {
			return edits, nil
		}
	}
	edits, failed, err := analysis.FixDocument(f.Manifest.Text, f.Doc, []fix.Fix{{Name: f.Rule, Item: f.Item, Ops: f.Fix}})
	if err == nil && len(failed) > 0 {
		err = failed[0].Err
	}
	return edits, err
}

// translate carries edits of a rendered manifest to its template, nil when one of them does
// not map exactly (see TemplateFixes) or they span several files.
func (c *Chart) translate(m *Manifest, edits []fix.Edit) *TemplateFix {
	var out *TemplateFix
	for _, e := range edits {
		file, shift, ok := c.literalSpan(m, e.Range.Start, e.Range.End)
		if !ok || (out != nil && out.File != file) {
			return nil
		}
		if out == nil {
			out = &TemplateFix{File: file}
		}
		r := yamldoc.Range{Start: e.Range.Start + shift, End: e.Range.End + shift}
		out.Edits = append(out.Edits, fix.Edit{Range: r, NewText: e.NewText})
	}
	return out
}

// literalSpan checks that the rendered lines holding [start, end), with the line break before
// them and the one after (the next line's first byte when the range ends a line), are one run
// of literal template text written once, and returns the template file and the shift from
// rendered to template offsets. The bytes around make sure that a `{{-` or `-}}` next to the
// run cannot trim what an edit writes at its ends.
func (c *Chart) literalSpan(m *Manifest, start, end int) (string, int, bool) {
	text := m.Text
	from := strings.LastIndexByte(text[:start], '\n') // -1 at the first line: from the start
	from = max(from, 0)
	to := len(text)
	switch i := strings.IndexByte(text[end:], '\n'); {
	case end > start && text[end-1] == '\n':
		to = min(end+1, len(text)) // whole lines: the next line's first byte guards the end
	case i >= 0:
		to = end + i + 1
	}
	if from >= to {
		return "", 0, false
	}
	file, first, ok := c.literalByte(m, from)
	if !ok {
		return "", 0, false
	}
	for off := from + 1; off < to; off++ {
		f, pos, ok := c.literalByte(m, off)
		if !ok || f != file || pos != first+off-from {
			return "", 0, false
		}
	}
	return file, first - from, true
}

// literalByte returns the template file and offset of the rendered byte at off when it is
// literal text of the chart's own templates, written once in the render, outside any
// include and range.
func (c *Chart) literalByte(m *Manifest, off int) (string, int, bool) {
	seg, delta, ok := m.sm.at(off)
	if !ok || seg.calls != nil {
		return "", 0, false
	}
	n := c.table.node(seg.node)
	if n == nil || n.kind != kindText || c.writeCount(seg.node) != 1 || !c.ownTemplate(n.file) {
		return "", 0, false
	}
	for g := seg.guards; g != nil; g = g.parent {
		if gn := c.table.node(g.node); gn == nil || gn.loop {
			return "", 0, false
		}
	}
	li := c.files[n.file]
	pos := n.pos + delta
	if li == nil || pos >= len(li.text) || li.text[pos] != m.Text[off] {
		return "", 0, false
	}
	return n.file, pos, true
}

// ownTemplate reports whether file is a template of the chart itself: a subchart's or a
// library's templates are vendored, not the chart author's to edit.
func (c *Chart) ownTemplate(file string) bool {
	rel, err := filepath.Rel(c.Root, file)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return false
	}
	return !strings.HasPrefix(rel, "charts"+string(filepath.Separator))
}

// writeCounts is how many runs of bytes each template node wrote in the whole render.
type writeCounts struct {
	once sync.Once
	n    map[int]int
}

func (c *Chart) writeCount(node int) int {
	c.writes.once.Do(func() {
		c.writes.n = map[int]int{}
		for _, m := range c.Manifests {
			segs := m.sm.segs
			for i, s := range segs {
				next := len(m.Text)
				if i+1 < len(segs) {
					next = segs[i+1].start
				}
				if next > s.start {
					c.writes.n[s.node]++
				}
			}
		}
	})
	return c.writes.n[node]
}

// TemplateFixSet gathers the template fixes of findings, by file: the fixes of one rendered
// document are composed on it first (two fixes adding to one securityContext write it once),
// and carried to the template together when they map exactly, else one by one; an edit that
// overlaps one taken before is left out with its finding's whole fix.
func (c *Chart) TemplateFixSet(fs []Finding) TemplateEdits {
	set := TemplateEdits{Edits: map[string][]fix.Edit{}, Texts: map[string]string{}, Findings: map[string][]Finding{}}
	type docKey struct {
		m   *Manifest
		doc int
	}
	var order []docKey
	groups := map[docKey][]Finding{}
	for _, f := range fs {
		if c.TemplateFixes(f) == nil {
			continue
		}
		k := docKey{f.Manifest, f.Doc}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], f)
	}
	for _, k := range order {
		group := groups[k]
		fixes := make([]fix.Fix, len(group))
		for i, f := range group {
			fixes[i] = fix.Fix{Name: f.Rule, Item: f.Item, Ops: f.Fix}
		}
		edits, failed, err := analysis.FixDocument(k.m.Text, k.doc, fixes)
		if tf := c.translate(k.m, edits); err == nil && len(failed) == 0 && tf != nil {
			set.add(tf, group...)
			continue
		}
		for _, f := range group {
			set.add(c.TemplateFixes(f), f)
		}
	}
	slices.Sort(set.Files)
	for _, file := range set.Files {
		set.Texts[file] = string(c.files[file].text)
	}
	return set
}

// TemplateEdits is the template fixes of several findings, by file.
type TemplateEdits struct {
	Files    []string              // sorted
	Edits    map[string][]fix.Edit // by file: non-overlapping
	Texts    map[string]string     // by file: the text the edits apply to, as rendered
	Findings map[string][]Finding  // by file: the findings fixed there
}

// add takes tf's edits for the findings unless one overlaps an edit taken before.
func (s *TemplateEdits) add(tf *TemplateFix, fs ...Finding) {
	if tf == nil {
		return
	}
	have := s.Edits[tf.File]
	for _, e := range tf.Edits {
		for _, h := range have {
			if e.Range.Start < h.Range.End && h.Range.Start < e.Range.End ||
				e.Range.Start == h.Range.Start || e.Range.End == h.Range.End {
				return
			}
		}
	}
	if _, known := s.Edits[tf.File]; !known {
		s.Files = append(s.Files, tf.File)
	}
	s.Edits[tf.File] = append(have, tf.Edits...)
	s.Findings[tf.File] = append(s.Findings[tf.File], fs...)
}
