package yamldoc

import (
	"fmt"
	"sort"
)

// Replace returns a Mapper over m's text with the bytes [start, end) replaced by text. Only the
// lines around the edit are scanned again; the line starts after it are shifted, so an edit
// in a large file costs a copy of the text and of its line index, not a scan of every byte.
func (m *Mapper) Replace(start, end int, text string) (*Mapper, error) {
	if start < 0 || start > end || end > len(m.text) {
		return nil, fmt.Errorf("edit [%d, %d) is outside the text (%d bytes)", start, end, len(m.text))
	}
	newText := m.text[:start] + text + m.text[end:]
	insEnd := start + len(text) // end of the inserted bytes in newText
	delta := len(text) - (end - start)

	// A line start s depends only on the bytes at s-1 and s. Starts before the edit (s < start)
	// and after it (s-1 >= end in the old text) are unchanged; only s in [start, insEnd] is new.
	before := sort.SearchInts(m.lineStarts, start) // lineStarts[:before] are < start
	after := sort.SearchInts(m.lineStarts, end+1)  // lineStarts[after:] are >= end+1
	starts := make([]int, 0, before+(len(m.lineStarts)-after)+countLineBreaks(text)+2)
	starts = append(starts, m.lineStarts[:before]...)
	if before == 0 {
		starts = append(starts, 0) // start == 0: the first line always starts at 0
	}
	for j := max(start-1, 0); j < insEnd; j++ {
		if s := j + 1; isLineBreak(newText, j) && s >= start && s > 0 {
			starts = append(starts, s)
		}
	}
	for _, s := range m.lineStarts[after:] {
		starts = append(starts, s+delta)
	}
	e := &Mapper{text: newText, lineStarts: starts, ascii: m.ascii && isASCII(text), id: mapperIDs.Add(1)}
	if m.id != 0 {
		e.edits = make([]mapperEdit, 0, editHistory)
		e.edits = append(e.edits, mapperEdit{from: m.id, start: start, oldEnd: end, newEnd: insEnd})
		// What changed since m's ancestors: their ranges in m's text joined with this edit.
		for _, a := range m.edits[:min(len(m.edits), editHistory-1)] {
			hi := max(a.newEnd, end) // in m's text; a's bytes after a.newEnd are its old text's, shifted
			e.edits = append(e.edits, mapperEdit{from: a.from, start: min(a.start, start), oldEnd: hi - a.newEnd + a.oldEnd, newEnd: hi + delta})
		}
	}
	return e, nil
}

// EditedFrom returns the bytes that differ between old's text and m's, [start, oldEnd) of
// old's and [start, newEnd) of m's, when m was made from old by Replace, or by a few Replaces
// in a row. A caller that would otherwise compare the two texts (megabytes, for each
// keystroke) takes them from the edits. The range covers the edits: bytes at its ends may be
// equal in both texts.
func (m *Mapper) EditedFrom(old *Mapper) (start, oldEnd, newEnd int, ok bool) {
	if old == nil || old.id == 0 {
		return 0, 0, 0, false
	}
	for _, e := range m.edits {
		if e.from == old.id {
			return e.start, e.oldEnd, e.newEnd, true
		}
	}
	return 0, 0, 0, false
}

// isLineBreak reports whether a line ends with the byte at j: a "\n", or a "\r" not followed
// by "\n".
func isLineBreak(text string, j int) bool {
	switch text[j] {
	case '\n':
		return true
	case '\r':
		return j+1 >= len(text) || text[j+1] != '\n'
	}
	return false
}

func countLineBreaks(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' || s[i] == '\r' {
			n++
		}
	}
	return n
}
