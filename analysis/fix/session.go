package fix

import (
	"errors"
	"fmt"
	"slices"

	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"
	"github.com/open-policy-agent/opa/v1/ast"
	"go.yaml.in/yaml/v3"
)

// Fix is the fix of one finding: operations on paths relative to the object at Item.
type Fix struct {
	Name string // what the fix is for (a rule id): its errors start with it
	Item []any  // where the object sits in its document: nil, or ["items", i]
	Ops  []Op
}

// Failure is a fix that could not be applied safely, and why.
type Failure struct {
	Fix int // index in the fixes given to Apply
	Err error
}

// Session applies operations to one document, one at a time: each is computed on the text
// the previous ones left, re-parsed, so that they compose without overlapping.
type Session struct {
	orig, doc *yamldoc.Document
	st        style
	valueOf   func(*yaml.Node) (ast.Value, error)
	applied   int    // edits that changed the text
	first     []Edit // the first of them, against orig
	// Sequential applies every operation on its own, without rounds: the reference the
	// batched rounds are tested against.
	Sequential bool
}

// NewSession starts fixing the parsed document d. valueOf reads a node as the policies see it
// (with Kubernetes' typing), to check that a set value reads back as the value the rule asked for.
func NewSession(d *yamldoc.Document, valueOf func(*yaml.Node) (ast.Value, error)) *Session {
	return &Session{orig: d, doc: d, st: styleOf(d), valueOf: valueOf}
}

// queued is a fix operation with its path from the document root.
type queued struct {
	op    Op
	floor int // path length of the object: removals never take it or its ancestors
	drop  bool
}

// pendingFix is a fix while a session applies it.
type pendingFix struct {
	fix  int      // index in the fixes
	ops  []queued // its operations, paths rebased as list entries are removed
	done bool
}

// Apply applies each fix, all of its operations or none. A failing fix is recorded in failed
// when it is non-nil, and returned as an error otherwise.
//
// Fixes of one operation are applied in rounds: every operation whose edits do not touch
// another's is computed on the same parse, insertions into the same mapping merge into one,
// and the document is re-parsed once per round rather than once per operation. An operation
// that would touch one already taken waits for the next round, computed on the new text.
// Fixes of several operations, and any round that fails its checks, go one at a time.
func (s *Session) Apply(fs []Fix, failed *[]Failure) error {
	all := make([]*pendingFix, len(fs))
	var single []*pendingFix
	for i, f := range fs {
		p := &pendingFix{fix: i}
		for _, op := range f.Ops {
			path := append(slices.Clone(f.Item), op.Path...)
			p.ops = append(p.ops, queued{op: Op{Op: op.Op, Path: path, Value: op.Value}, floor: len(f.Item)})
		}
		all[i] = p
		if len(p.ops) == 1 && len(fs) > 1 && !s.Sequential {
			single = append(single, p)
		}
	}
	fail := func(p *pendingFix, err error) error {
		p.done = true
		err = fmt.Errorf("%s: %w", fs[p.fix].Name, err)
		if failed == nil {
			return err
		}
		*failed = append(*failed, Failure{p.fix, err})
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

// applyGroup applies one finding's operations one at a time; on error the document is left
// as it was.
func (s *Session) applyGroup(ops []queued) (removed [][]any, err error) {
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
		ed := &opEditor{d: s.doc, st: s.st, floor: q.floor}
		res, err := ed.apply(q.op)
		if err != nil {
			return nil, err
		}
		if len(res.subs) > 0 {
			subs := make([]queued, len(res.subs))
			for i, op := range res.subs {
				subs[i] = queued{op: op, floor: q.floor}
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
				return nil, fmt.Errorf("%s %s: %w", q.op.Op, ShowPath(q.op.Path), err)
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
func (s *Session) edit(edits []Edit) error {
	edits = mergeAdjacentEdits(edits)
	text, err := ApplyEdits(s.doc.Text, edits)
	if err != nil {
		return err
	}
	next := &yamldoc.Document{Index: s.orig.Index, Text: text}
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
func (s *Session) verify(op Op, removedEntry bool) error {
	steps := yamldoc.Walk(s.doc.Root, op.Path)
	found := len(steps) == len(op.Path)
	switch op.Op {
	case "remove":
		if found && !removedEntry {
			return fmt.Errorf("remove %s: still there", ShowPath(op.Path))
		}
		if found && removedEntry {
			if _, isIndex := op.Path[len(op.Path)-1].(int); !isIndex {
				return fmt.Errorf("remove %s: still there", ShowPath(op.Path))
			}
		}
		return nil
	case "set", "add":
		if !found {
			return fmt.Errorf("%s %s: not there after the edit", op.Op, ShowPath(op.Path))
		}
		node := steps[len(steps)-1].Node
		if op.Op == "add" {
			list := yamldoc.Deref(node)
			if list.Kind != yaml.SequenceNode || len(list.Content) == 0 {
				return fmt.Errorf("add %s: not a list after the edit", ShowPath(op.Path))
			}
			node = list.Content[len(list.Content)-1]
		}
		got, err := s.valueOf(node)
		if err != nil {
			return fmt.Errorf("%s %s: %w", op.Op, ShowPath(op.Path), err)
		}
		want, err := ast.InterfaceToValue(op.Value)
		if err != nil {
			return fmt.Errorf("%s %s: value %v: %w", op.Op, ShowPath(op.Path), op.Value, err)
		}
		if got.Compare(want) != 0 {
			return fmt.Errorf("%s %s: reads back as %v, not %v", op.Op, ShowPath(op.Path), got, want)
		}
	}
	return nil
}

// Edits returns what the session changed, against the original document, in file offsets.
func (s *Session) Edits() []Edit {
	var edits []Edit
	switch s.applied {
	case 0:
		return nil
	case 1:
		edits = slices.Clone(s.first)
	default:
		edits = editsBetween(s.orig.Text, s.doc.Text)
	}
	for i := range edits {
		edits[i].Range = edits[i].Range.Shift(s.orig.Offset)
	}
	return edits
}

// rebaseOps adjusts pending operations after a list entry was removed: later entries of that list
// move up by one, and operations inside the removed entry are dropped.
func rebaseOps(pending []queued, removed []any) {
	n := len(removed) - 1
	idx, ok := removed[n].(int)
	if !ok {
		return
	}
	list := removed[:n]
	for i := range pending {
		p := pending[i].op.Path
		if len(p) <= n || !slices.Equal(p[:n], list) {
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
