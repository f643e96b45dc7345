package helm

import (
	"sort"
	"strings"
)

// frame is an open call site (include or template) in the rendered output; frames are
// shared by every segment inside the call.
type frame struct {
	call   int // the call site's node
	parent *frame
}

// guard is an open guarded block (if, with, range) in the rendered output.
type guard struct {
	node   int
	parent *guard
}

// segment is a run of rendered bytes written by one template node.
type segment struct {
	start  int // offset in the rendered text
	node   int
	calls  *frame
	guards *guard
}

// skipped is a guard that was false where its block would have written.
type skipped struct {
	at     int // offset in the rendered text
	node   int
	calls  *frame
	guards *guard
}

// sourceMap maps each byte of one rendered template to the template node that wrote it.
type sourceMap struct {
	segs    []segment
	skipped []skipped
}

// parseMarker reads the marker at s[i] (a markStart byte): its kind, its id (-1 for none)
// and the offset after it. ok is false when the byte starts no marker.
func parseMarker(s string, i int) (kind byte, id, next int, ok bool) {
	if i+2 >= len(s) {
		return 0, 0, 0, false
	}
	kind = s[i+1]
	if !strings.ContainsRune("TA(GgF).", rune(kind)) {
		return 0, 0, 0, false
	}
	j := i + 2
	id = -1
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		if id < 0 {
			id = 0
		}
		id = id*10 + int(s[j]-'0')
		j++
	}
	if j >= len(s) || s[j] != markEnd || (id < 0) != (kind == ')' || kind == '.') {
		return 0, 0, 0, false
	}
	return kind, id, j + 1, true
}

// stripMarkers returns s without its markers: what a plain render would have produced.
func stripMarkers(s string) string {
	if strings.IndexByte(s, markStart) < 0 {
		return s
	}
	var sb strings.Builder
	sb.Grow(len(s))
	for i := 0; i < len(s); {
		if s[i] == markStart {
			if _, _, next, ok := parseMarker(s, i); ok {
				i = next
				continue
			}
		}
		sb.WriteByte(s[i])
		i++
	}
	return sb.String()
}

// demark strips the markers of one rendered template and builds its source map.
func demark(s string) (string, *sourceMap) {
	sm := &sourceMap{}
	var sb strings.Builder
	sb.Grow(len(s))
	cur := segment{node: -1}
	open := func() {
		cur.start = sb.Len()
		if n := len(sm.segs); n > 0 && sm.segs[n-1].start == cur.start {
			sm.segs[n-1] = cur
			return
		}
		sm.segs = append(sm.segs, cur)
	}
	for i := 0; i < len(s); {
		if s[i] != markStart {
			j := strings.IndexByte(s[i:], markStart)
			if j < 0 {
				j = len(s) - i
			}
			sb.WriteString(s[i : i+j])
			i += j
			continue
		}
		kind, id, next, ok := parseMarker(s, i)
		if !ok {
			sb.WriteByte(s[i])
			i++
			continue
		}
		i = next
		switch kind {
		case 'T', 'A':
			cur.node = id
		case '(':
			cur.calls = &frame{call: id, parent: cur.calls}
			cur.node = id
		case ')':
			if cur.calls != nil {
				cur.node = cur.calls.call
				cur.calls = cur.calls.parent
			}
		case 'G':
			cur.guards = &guard{node: id, parent: cur.guards}
		case 'g':
			// Pop to the guard that ends here; a break or continue may have left inner ones open.
			for g := cur.guards; g != nil; g = g.parent {
				if g.node == id {
					cur.guards = g.parent
					break
				}
			}
		case '.':
			continue
		case 'F':
			sm.skipped = append(sm.skipped, skipped{at: sb.Len(), node: id, calls: cur.calls, guards: cur.guards})
			continue
		}
		open()
	}
	return sb.String(), sm
}

// at returns the segment that holds rendered offset off, and the offset of off in it.
func (sm *sourceMap) at(off int) (segment, int, bool) {
	i := sort.Search(len(sm.segs), func(i int) bool { return sm.segs[i].start > off }) - 1
	if i < 0 || sm.segs[i].node < 0 {
		return segment{}, 0, false
	}
	return sm.segs[i], off - sm.segs[i].start, true
}
