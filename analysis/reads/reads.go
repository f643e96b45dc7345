// Package reads describes which parts of a Kubernetes object a rule reads (custom.reads in its
// METADATA) and projects an object onto them. A rule evaluated on the projection of an object
// gives what it gives on the whole object, so an edit that leaves the projection unchanged
// cannot change the rule's verdict: the engine keeps the previous one.
//
// A path is a dotted list of segments: a key, "*" (any key or sequence index) or "**" (any
// number of segments, none included). The projection of a value keeps:
//   - whole, every value a path ends at;
//   - every mapping and sequence on the way to one (a path that may still match below it), with
//     its projected children: a mapping keeps the keys whose children are kept, a sequence
//     keeps its length, with null for the items that are not kept;
//   - a scalar where a path expects more below it, if it got there by a key or "*" (not only
//     by "**"): a rule that reads spec.template.spec sees a scalar there as it is.
//
// The mappings and sequences on the way are kept even when empty, so that a rule that tests
// whether a pod spec exists sees it, whatever it holds.
package reads

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Always are the paths every projection holds: dispatch and the policy library read them.
var Always = []string{"apiVersion", "kind"}

// Set is a compiled union of paths: an automaton whose states are built as walks reach them
// and whose transitions are remembered, so that a step costs a lookup.
type Set struct {
	paths    [][]string
	literals map[string]int // the keys the paths name; any other key steps as an index does
	start    uint8          // the root state's flags, fixed by Parse: Start reads no shared state

	mu     sync.RWMutex
	states []stateInfo
	ids    map[string]int32 // a state's positions, as a key, to its id
}

type stateInfo struct {
	at    []pos
	flags uint8
	next  []int32 // by literal id, then one for any other key or an index; -1: not yet known
}

// State is where a walk from an object's root stands against a Set: the positions in its
// paths that the keys walked so far reach.
type State struct {
	id    int32
	flags uint8
}

const (
	live     uint8 = 1 << iota
	full           // a path ends here: the value is kept whole
	anchored       // a path reached here by a key or "*": a scalar here is kept
)

type pos struct{ path, seg int }

// Parse compiles paths (Always included).
func Parse(paths []string) (*Set, error) {
	s := &Set{literals: map[string]int{}, ids: map[string]int32{}}
	for _, p := range slices.Concat(Always, paths) {
		segs := strings.Split(p, ".")
		for _, seg := range segs {
			if seg == "" {
				return nil, fmt.Errorf("read path %q has an empty segment", p)
			}
			if _, ok := s.literals[seg]; !ok && seg != "*" && seg != "**" {
				s.literals[seg] = len(s.literals)
			}
		}
		if slices.ContainsFunc(s.paths, func(q []string) bool { return slices.Equal(q, segs) }) {
			continue
		}
		s.paths = append(s.paths, segs)
	}
	at := make([]pos, 0, len(s.paths))
	for i := range s.paths {
		at = append(at, pos{i, 0})
	}
	root := s.closure(at, true)
	s.start = root.flags
	s.state(root)
	return s, nil
}

// Start is the state at an object's root.
func (s *Set) Start() State {
	return State{id: 0, flags: s.start}
}

// Live reports whether a path may still match at or below this point.
func (st State) Live() bool { return st.flags&live != 0 }

// Full reports whether a path ends here.
func (st State) Full() bool { return st.flags&full != 0 }

// Anchored reports whether a scalar here is kept.
func (st State) Anchored() bool { return st.flags&(full|anchored) != 0 }

// Step is the state below st at a mapping key (index false) or sequence item.
func (s *Set) Step(st State, key string, index bool) State {
	if st.Full() || !st.Live() {
		return st
	}
	edge := len(s.literals)
	if lit, ok := s.literals[key]; ok && !index {
		edge = lit
	}
	s.mu.RLock()
	next := s.states[st.id].next[edge]
	flags := uint8(0)
	if next >= 0 {
		flags = s.states[next].flags
	}
	s.mu.RUnlock()
	if next >= 0 {
		return State{id: next, flags: flags}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	at := s.states[st.id].at
	var reached []pos
	anchor := false
	for _, p := range at {
		switch seg := s.paths[p.path][p.seg]; {
		case seg == "**":
			reached = append(reached, p)
		case seg == "*" || (edge < len(s.literals) && seg == key):
			reached = append(reached, pos{p.path, p.seg + 1})
			anchor = true
		}
	}
	id := s.state(s.closure(reached, anchor))
	s.states[st.id].next[edge] = id
	return State{id: id, flags: s.states[id].flags}
}

// state returns the id of the state with these positions and flags, adding it if new. The
// caller holds mu (or is Parse).
func (s *Set) state(info stateInfo) int32 {
	var key strings.Builder
	key.WriteByte('0' + info.flags)
	for _, p := range info.at {
		fmt.Fprintf(&key, ",%d.%d", p.path, p.seg)
	}
	if id, ok := s.ids[key.String()]; ok {
		return id
	}
	info.next = make([]int32, len(s.literals)+1)
	for i := range info.next {
		info.next[i] = -1
	}
	id := int32(len(s.states))
	s.states = append(s.states, info)
	s.ids[key.String()] = id
	return id
}

// closure adds, for every position at a "**", the position after it ("**" matching nothing),
// and notes the paths that end.
func (s *Set) closure(at []pos, anchor bool) stateInfo {
	var info stateInfo
	isFull := false
	for i := 0; i < len(at); i++ {
		p := at[i]
		segs := s.paths[p.path]
		if p.seg == len(segs) {
			isFull = true
			continue
		}
		if segs[p.seg] == "**" && !slices.Contains(at, pos{p.path, p.seg + 1}) {
			at = append(at, pos{p.path, p.seg + 1})
		}
		if !slices.Contains(info.at, p) {
			info.at = append(info.at, p)
		}
	}
	slices.SortFunc(info.at, func(a, b pos) int {
		if a.path != b.path {
			return a.path - b.path
		}
		return a.seg - b.seg
	})
	switch {
	case isFull:
		info.at, info.flags = nil, live|full
	case len(info.at) > 0 && anchor:
		info.flags = live | anchored
	case len(info.at) > 0:
		info.flags = live
	}
	return info
}
