package fix

import (
	"slices"

	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"
	"go.yaml.in/yaml/v3"
)

// roundOp is one operation taken into a round.
type roundOp struct {
	p   *pendingFix
	res opResult
}

// round applies, with one re-parse, as many of the pending one-operation fixes as do not
// touch each other, and returns the others. Fixes that cannot be applied are failed; if the
// round's text does not check out, its fixes are left for one-at-a-time application.
func (s *Session) round(pending []*pendingFix, fail func(*pendingFix, error) error, rebaseAll func([]any)) ([]*pendingFix, error) {
	var taken []yamldoc.Range
	var takenFrom []*yaml.Node // collections that lose an entry: one removal each per round
	var ops []roundOp
	groups := map[*yaml.Node]*insertion{}
	var later []*pendingFix
	overlaps := func(rs ...yamldoc.Range) bool {
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
		ed := &opEditor{d: s.doc, st: s.st, floor: q.floor}
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
	ed := &opEditor{d: s.doc, st: s.st}
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
				q := []queued{{op: op}}
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
