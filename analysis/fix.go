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
	return r.fixAll(keep, true)
}

// fixAll is FixAll; without batching, every operation is applied on its own (the reference
// the batched rounds are tested against).
func (r *Result) fixAll(keep func(*Finding) bool, batched bool) FixReport {
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
		s.sequential = !batched
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
	if d.released {
		return nil, fmt.Errorf("document %d: its parsed YAML was released for a report (Result.CompactForReport)", doc)
	}
	if d.Root == nil || d.mapper == nil {
		return nil, fmt.Errorf("document %d did not parse", doc)
	}
	return &fixSession{orig: d, doc: d, style: d.fixStyleOf()}, nil
}

// fixSession applies operations to one document, one at a time: each is computed on the text
// the previous ones left, re-parsed, so that they compose without overlapping.
type fixSession struct {
	orig, doc  *Document
	style      fixStyle
	applied    int    // edits that changed the text
	first      []Edit // the first of them, against orig
	sequential bool   // apply every operation on its own, without rounds
}

// fixQueued is a fix operation with its path from the document root.
type fixQueued struct {
	op    FixOp
	floor int // path length of the object: removals never take it or its ancestors
	drop  bool
}

// pendingFix is a finding's fix while a session applies it.
type pendingFix struct {
	finding int         // index in the findings
	ops     []fixQueued // its operations, paths rebased as list entries are removed
	done    bool
}

// applyFindings applies each finding's fix, all of its operations or none. A failing fix is
// recorded in failed when it is non-nil, and returned as an error otherwise.
//
// Fixes of one operation are applied in rounds: every operation whose edits do not touch
// another's is computed on the same parse, insertions into the same mapping merge into one,
// and the document is re-parsed once per round rather than once per operation. An operation
// that would touch one already taken waits for the next round, computed on the new text.
// Fixes of several operations, and any round that fails its checks, go one at a time.
func (s *fixSession) applyFindings(fs []Finding, failed *[]FixFailure) error {
	all := make([]*pendingFix, len(fs))
	var single []*pendingFix
	for i, f := range fs {
		p := &pendingFix{finding: i}
		for _, op := range f.Fix {
			path := append(slices.Clone(f.Item), op.Path...)
			p.ops = append(p.ops, fixQueued{op: FixOp{Op: op.Op, Path: path, Value: op.Value}, floor: len(f.Item)})
		}
		all[i] = p
		if len(p.ops) == 1 && len(fs) > 1 && !s.sequential {
			single = append(single, p)
		}
	}
	fail := func(p *pendingFix, err error) error {
		p.done = true
		err = fmt.Errorf("%s: %w", fs[p.finding].Rule, err)
		if failed == nil {
			return err
		}
		*failed = append(*failed, FixFailure{fs[p.finding], err})
		return nil
	}
	rebaseAll := func(removed []any) {
		for _, p := range all {
			if !p.done {
				rebaseOps(p.ops, removed)
			}
		}
	}
	for rounds := 0; len(single) > 0 && rounds < 1000; rounds++ {
		var err error
		if single, err = s.round(single, fail, rebaseAll); err != nil {
			return err
		}
	}
	for _, p := range all {
		if p.done {
			continue
		}
		removed, err := s.applyGroup(p.ops)
		if err != nil {
			if err := fail(p, err); err != nil {
				return err
			}
			continue
		}
		p.done = true
		for _, rm := range removed {
			rebaseAll(rm)
		}
	}
	return nil
}

// roundOp is one operation taken into a round.
type roundOp struct {
	p   *pendingFix
	res opResult
}

// round applies, with one re-parse, as many of the pending one-operation fixes as do not
// touch each other, and returns the others. Fixes that cannot be applied are failed; if the
// round's text does not check out, its fixes are left for one-at-a-time application.
func (s *fixSession) round(pending []*pendingFix, fail func(*pendingFix, error) error, rebaseAll func([]any)) ([]*pendingFix, error) {
	var taken []Range
	var takenFrom []*yaml.Node // collections that lose an entry: one removal each per round
	var ops []roundOp
	groups := map[*yaml.Node]*insertion{}
	var later []*pendingFix
	overlaps := func(rs ...Range) bool {
		for _, r := range rs {
			for _, t := range taken {
				if !(r.End < t.Start || t.End < r.Start) {
					return true
				}
			}
		}
		return false
	}
	for _, p := range pending {
		if p.done {
			continue
		}
		q := p.ops[0]
		if q.drop {
			p.done = true
			continue
		}
		ed := &opEditor{d: s.doc, st: s.style, floor: q.floor}
		res, err := ed.apply(q.op)
		if err != nil {
			if err := fail(p, err); err != nil {
				return nil, err
			}
			continue
		}
		switch {
		case len(res.subs) > 0:
			continue // several operations after all: applied one at a time, later
		case res.ins != nil:
			if g := groups[res.ins.target]; g != nil {
				if mergeEntries(g.entries, res.ins.entries) {
					ops = append(ops, roundOp{p, res})
				} else {
					later = append(later, p)
				}
				continue
			}
			edits, err := ed.renderInsertion(res.ins)
			if err != nil {
				if err := fail(p, err); err != nil {
					return nil, err
				}
				continue
			}
			if overlaps(editSpans(edits)...) {
				later = append(later, p)
				continue
			}
			groups[res.ins.target] = &insertion{owner: res.ins.owner, target: res.ins.target, entries: cloneEntries(res.ins.entries), at: res.ins.at}
			taken = append(taken, editSpans(edits)...)
		case len(res.edits) == 0:
			p.done = true // already as the fix wants it
			continue
		default:
			if overlaps(editSpans(res.edits)...) || (res.from != nil && slices.Contains(takenFrom, res.from)) {
				later = append(later, p)
				continue
			}
			taken = append(taken, editSpans(res.edits)...)
			if res.from != nil {
				takenFrom = append(takenFrom, res.from)
			}
		}
		ops = append(ops, roundOp{p, res})
	}
	if len(ops) == 0 {
		return later, nil
	}
	var edits []Edit
	ed := &opEditor{d: s.doc, st: s.style}
	for _, g := range groups {
		ge, err := ed.renderInsertion(g)
		if err != nil {
			return nil, nil // this round's fixes, and the rest, go one at a time
		}
		edits = append(edits, ge...)
	}
	for _, o := range ops {
		if o.res.ins == nil {
			edits = append(edits, o.res.edits...)
		}
	}
	saved, savedApplied, savedFirst := s.doc, s.applied, s.first
	if err := s.edit(edits); err != nil {
		return nil, nil // this round's fixes, and the rest, go one at a time
	}
	var removed [][]any
	for _, o := range ops {
		if o.res.removed != nil {
			removed = append(removed, o.res.removed)
		}
	}
	for _, o := range ops {
		op := o.p.ops[0].op
		op.Path = slices.Clone(op.Path)
		for _, rm := range removed {
			if !slices.Equal(rm, o.res.removed) {
				q := []fixQueued{{op: op}}
				rebaseOps(q, rm)
				op = q[0].op
			}
		}
		if err := s.verify(op, o.res.removed != nil); err != nil {
			s.doc, s.applied, s.first = saved, savedApplied, savedFirst
			return nil, nil // this round's fixes, and the rest, go one at a time
		}
	}
	for _, o := range ops {
		o.p.done = true
	}
	for _, rm := range removed {
		rebaseAll(rm)
	}
	return later, nil
}

// editSpans returns the ranges edits touch.
func editSpans(edits []Edit) []Range {
	out := make([]Range, len(edits))
	for i, e := range edits {
		out[i] = e.Range
	}
	return out
}

// mergeEntries adds the entries of more to into; false (into unchanged) on a conflict.
func mergeEntries(into, more *orderedMap) bool {
	trial := cloneEntries(into)
	for _, k := range more.keys {
		if !mergeValue(trial, []string{k}, more.vals[k]) {
			return false
		}
	}
	*into = *trial
	return true
}

// mergeValue merges v at keys, descending into v when it is itself a built mapping.
func mergeValue(m *orderedMap, keys []string, v any) bool {
	if sub, ok := v.(*orderedMap); ok {
		for _, k := range sub.keys {
			if !mergeValue(m, append(slices.Clip(keys), k), sub.vals[k]) {
				return false
			}
		}
		return true
	}
	return m.merge(keys, v)
}

// cloneEntries deep-copies the built mappings of m (values from rules are never modified).
func cloneEntries(m *orderedMap) *orderedMap {
	out := &orderedMap{keys: slices.Clone(m.keys), vals: make(map[string]any, len(m.vals))}
	for k, v := range m.vals {
		if sub, ok := v.(*orderedMap); ok {
			v = cloneEntries(sub)
		}
		out.vals[k] = v
	}
	return out
}

// applyGroup applies one finding's operations one at a time; on error the document is left
// as it was.
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
		res, err := ed.apply(q.op)
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
		if res.ins != nil {
			if res.edits, err = ed.renderInsertion(res.ins); err != nil {
				return nil, err
			}
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
