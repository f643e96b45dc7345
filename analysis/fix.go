package analysis

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"go.yaml.in/yaml/v3"
)

// Edit replaces the text in Range (byte offsets in the analysed text) with NewText.
type Edit struct {
	Range   Range
	NewText string
}

// ApplyEdits applies edits to text. The edits must not overlap; their order does not matter.
func ApplyEdits(text string, edits []Edit) (string, error) {
	sorted := slices.Clone(edits)
	slices.SortStableFunc(sorted, func(a, b Edit) int { return a.Range.Start - b.Range.Start })
	var b strings.Builder
	b.Grow(len(text))
	pos := 0
	for _, e := range sorted {
		if e.Range.Start < pos || e.Range.End < e.Range.Start || e.Range.End > len(text) {
			return "", fmt.Errorf("edit %d-%d overlaps another or lies outside the text (%d bytes)", e.Range.Start, e.Range.End, len(text))
		}
		b.WriteString(text[pos:e.Range.Start])
		b.WriteString(e.NewText)
		pos = e.Range.End
	}
	b.WriteString(text[pos:])
	return b.String(), nil
}

// FixFailure is a finding whose fix could not be applied safely, and why.
type FixFailure struct {
	Finding Finding
	Err     error
}

// FixReport is the outcome of applying the fixes of several findings.
type FixReport struct {
	Edits  []Edit // against the analysed text, sorted and non-overlapping
	Fixed  int    // findings whose fix was applied (or already held after earlier fixes)
	Failed []FixFailure
}

// FixEdits returns the edits that apply f's fix to the analysed text. They are nil when the fix
// changes nothing; the error says why a fix cannot be applied safely (a path through an alias
// or a merge key, a value of another type where a mapping or list is needed).
func (r *Result) FixEdits(f Finding) ([]Edit, error) {
	if !f.Fixable() {
		return nil, fmt.Errorf("%s: no fix", f.Rule)
	}
	s, err := r.session(f.Doc)
	if err != nil {
		return nil, err
	}
	if err := s.applyFindings([]Finding{f}, nil); err != nil {
		return nil, err
	}
	return s.edits(), nil
}

// FixAll applies the fixes of every fixable finding that keep accepts (all of them when keep
// is nil), as one set of edits. Fixes are applied one after the other, each on the result of
// the ones before, so that they compose; a fix that cannot be applied is skipped and reported.
func (r *Result) FixAll(keep func(*Finding) bool) FixReport {
	var rep FixReport
	byDoc := map[int][]Finding{}
	var docs []int
	for _, f := range r.Findings {
		if !f.Fixable() || (keep != nil && !keep(&f)) {
			continue
		}
		if _, seen := byDoc[f.Doc]; !seen {
			docs = append(docs, f.Doc)
		}
		byDoc[f.Doc] = append(byDoc[f.Doc], f)
	}
	for _, doc := range docs {
		fs := byDoc[doc]
		s, err := r.session(doc)
		if err != nil {
			for _, f := range fs {
				rep.Failed = append(rep.Failed, FixFailure{f, err})
			}
			continue
		}
		var failed []FixFailure
		_ = s.applyFindings(fs, &failed)
		rep.Fixed += len(fs) - len(failed)
		rep.Failed = append(rep.Failed, failed...)
		rep.Edits = append(rep.Edits, s.edits()...)
	}
	return rep
}

// SuppressAnnotation is the annotation key that suppresses rule on an object (SPEC.md section 5).
func SuppressAnnotation(rule string) string { return "ignore.kube-policy-ls.io/" + rule }

// SuppressPlaceholder is the reason a suppression quick fix writes, for the user to replace.
const SuppressPlaceholder = "TODO: reason"

// SuppressEdits returns the edits that add the suppression annotation for f's rule to f's
// object (creating metadata.annotations when needed), with SuppressPlaceholder as its reason.
// The edits are nil when the object already has that annotation.
func (r *Result) SuppressEdits(f Finding) ([]Edit, error) {
	if f.Object.Kind == "" || f.Rule == "" {
		return nil, fmt.Errorf("%s: the finding is not about an object", f.Rule)
	}
	path := []any{"metadata", "annotations", SuppressAnnotation(f.Rule)}
	s, err := r.session(f.Doc)
	if err != nil {
		return nil, err
	}
	if steps := fixWalk(s.doc.Root, append(slices.Clone(f.Item), path...)); len(steps) == len(f.Item)+len(path) {
		return nil, nil
	}
	sup := Finding{Rule: f.Rule, Object: f.Object, Doc: f.Doc, Item: f.Item,
		Fix: []FixOp{{Op: "set", Path: path, Value: SuppressPlaceholder}}}
	if err := s.applyFindings([]Finding{sup}, nil); err != nil {
		return nil, err
	}
	return s.edits(), nil
}

// session starts fixing document doc of the result.
func (r *Result) session(doc int) (*fixSession, error) {
	if doc < 0 || doc >= len(r.Docs) || r.Docs[doc] == nil {
		return nil, fmt.Errorf("document %d is not in the analysis", doc)
	}
	d := r.Docs[doc].Doc
	if d.Root == nil || d.mapper == nil {
		return nil, fmt.Errorf("document %d did not parse", doc)
	}
	return &fixSession{orig: d, doc: d, style: d.fixStyleOf()}, nil
}

// fixSession applies operations to one document, one at a time: each is computed on the text
// the previous ones left, re-parsed, so that they compose without overlapping.
type fixSession struct {
	orig, doc *Document
	style     fixStyle
	applied   int    // operations that changed the text
	first     []Edit // the edits of the first such operation, against orig
}

// fixQueued is a fix operation with its path from the document root, and the finding it is for.
type fixQueued struct {
	op    FixOp
	floor int // path length of the object: removals never take it or its ancestors
	drop  bool
}

// applyFindings applies each finding's fix, all of its operations or none. A failing fix is
// recorded in failed when it is non-nil, and returned as an error otherwise.
func (s *fixSession) applyFindings(fs []Finding, failed *[]FixFailure) error {
	groups := make([][]fixQueued, len(fs))
	for i, f := range fs {
		for _, op := range f.Fix {
			path := append(slices.Clone(f.Item), op.Path...)
			groups[i] = append(groups[i], fixQueued{op: FixOp{Op: op.Op, Path: path, Value: op.Value}, floor: len(f.Item)})
		}
	}
	for i := range groups {
		removed, err := s.applyGroup(groups[i])
		if err != nil {
			err = fmt.Errorf("%s: %w", fs[i].Rule, err)
			if failed == nil {
				return err
			}
			*failed = append(*failed, FixFailure{fs[i], err})
			continue
		}
		for _, rm := range removed {
			for j := i + 1; j < len(groups); j++ {
				rebaseOps(groups[j], rm)
			}
		}
	}
	return nil
}

// applyGroup applies one finding's operations; on error the document is left as it was.
func (s *fixSession) applyGroup(ops []fixQueued) (removed [][]any, err error) {
	saved, savedApplied, savedFirst := s.doc, s.applied, s.first
	defer func() {
		if err != nil {
			s.doc, s.applied, s.first = saved, savedApplied, savedFirst
		}
	}()
	pending := slices.Clone(ops)
	for steps := 0; len(pending) > 0; steps++ {
		if steps > 10_000 {
			return nil, errors.New("fix does not terminate")
		}
		q := pending[0]
		pending = pending[1:]
		if q.drop {
			continue
		}
		ed := &opEditor{d: s.doc, st: s.style, floor: q.floor}
		var res opResult
		switch q.op.Op {
		case "set":
			res, err = ed.set(q.op.Path, q.op.Value)
		case "add":
			res, err = ed.add(q.op.Path, q.op.Value)
		case "remove":
			res, err = ed.remove(q.op.Path)
		default:
			err = fmt.Errorf("unknown fix operation %q", q.op.Op)
		}
		if err != nil {
			return nil, err
		}
		if len(res.subs) > 0 {
			subs := make([]fixQueued, len(res.subs))
			for i, op := range res.subs {
				subs[i] = fixQueued{op: op, floor: q.floor}
			}
			pending = append(subs, pending...)
			continue
		}
		if len(res.edits) > 0 {
			if err := s.edit(res.edits); err != nil {
				return nil, fmt.Errorf("%s %s: %w", q.op.Op, fixShowPath(q.op.Path), err)
			}
		}
		if err := s.verify(q.op, res.removed != nil); err != nil {
			return nil, err
		}
		if res.removed != nil {
			removed = append(removed, res.removed)
			rebaseOps(pending, res.removed)
		}
	}
	return removed, nil
}

// edit applies document-relative edits and re-parses the document.
func (s *fixSession) edit(edits []Edit) error {
	edits = mergeAdjacentEdits(edits)
	text, err := ApplyEdits(s.doc.Text, edits)
	if err != nil {
		return err
	}
	next := &Document{Index: s.orig.Index, Text: text}
	next.Parse()
	if next.Err != nil {
		return fmt.Errorf("the edit would break the YAML (%s)", next.Err.Msg)
	}
	if next.Root == nil {
		return errors.New("the edit would empty the document")
	}
	if s.applied == 0 {
		s.first = edits
	}
	s.applied++
	s.doc = next
	return nil
}

// verify checks that an operation had its effect: a set or add value reads back as the value
// (with Kubernetes' typing), a removed key is gone.
func (s *fixSession) verify(op FixOp, removedEntry bool) error {
	steps := fixWalk(s.doc.Root, op.Path)
	found := len(steps) == len(op.Path)
	switch op.Op {
	case "remove":
		if found && !removedEntry {
			return fmt.Errorf("remove %s: still there", fixShowPath(op.Path))
		}
		if found && removedEntry {
			if _, isIndex := op.Path[len(op.Path)-1].(int); !isIndex {
				return fmt.Errorf("remove %s: still there", fixShowPath(op.Path))
			}
		}
		return nil
	case "set", "add":
		if !found {
			return fmt.Errorf("%s %s: not there after the edit", op.Op, fixShowPath(op.Path))
		}
		node := steps[len(steps)-1].node
		if op.Op == "add" {
			list := deref(node)
			if list.Kind != yaml.SequenceNode || len(list.Content) == 0 {
				return fmt.Errorf("add %s: not a list after the edit", fixShowPath(op.Path))
			}
			node = list.Content[len(list.Content)-1]
		}
		got, err := toValue(node)
		if err != nil {
			return fmt.Errorf("%s %s: %w", op.Op, fixShowPath(op.Path), err)
		}
		want, err := ast.InterfaceToValue(op.Value)
		if err != nil {
			return fmt.Errorf("%s %s: value %v: %w", op.Op, fixShowPath(op.Path), op.Value, err)
		}
		if got.Compare(want) != 0 {
			return fmt.Errorf("%s %s: reads back as %v, not %v", op.Op, fixShowPath(op.Path), got, want)
		}
	}
	return nil
}

// edits returns what the session changed, against the original document, in file offsets.
func (s *fixSession) edits() []Edit {
	var edits []Edit
	switch s.applied {
	case 0:
		return nil
	case 1:
		edits = slices.Clone(s.first)
	default:
		edits = diffEdits(s.orig.Text, s.doc.Text)
	}
	for i := range edits {
		edits[i].Range = edits[i].Range.Shift(s.orig.Offset)
	}
	return edits
}

// rebaseOps adjusts pending operations after a list entry was removed: later entries of that list
// move up by one, and operations inside the removed entry are dropped.
func rebaseOps(pending []fixQueued, removed []any) {
	n := len(removed) - 1
	idx, ok := removed[n].(int)
	if !ok {
		return
	}
	list := removed[:n]
	for i := range pending {
		p := pending[i].op.Path
		if len(p) <= n || !hasPrefix(p, list) {
			continue
		}
		j, ok := p[n].(int)
		switch {
		case !ok:
		case j == idx:
			pending[i].drop = true
		case j > idx:
			p = slices.Clone(p)
			p[n] = j - 1
			pending[i].op.Path = p
		}
	}
}
