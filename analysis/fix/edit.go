package fix

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/aymanbagabas/go-udiff"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"
)

// Edit replaces the text in Range (byte offsets in the text it applies to) with NewText.
type Edit struct {
	Range   yamldoc.Range
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

// mergeAdjacentEdits joins edits where one ends where the next starts, so that no two edits touch.
func mergeAdjacentEdits(edits []Edit) []Edit {
	slices.SortStableFunc(edits, func(a, b Edit) int { return a.Range.Start - b.Range.Start })
	out := edits[:0]
	for _, ed := range edits {
		if n := len(out); n > 0 && out[n-1].Range.End == ed.Range.Start {
			out[n-1].Range.End = ed.Range.End
			out[n-1].NewText += ed.NewText
			continue
		}
		out = append(out, ed)
	}
	return out
}

// editSpans returns the ranges edits touch.
func editSpans(edits []Edit) []yamldoc.Range {
	out := make([]yamldoc.Range, len(edits))
	for i, e := range edits {
		out[i] = e.Range
	}
	return out
}

// editsBetween returns edits that turn a into b: a line diff, each changed run of lines then
// narrowed to the characters that differ. Used when several operations were applied in turn,
// so that the edits of a fix-all are still small and against the original.
func editsBetween(a, b string) []Edit {
	if a == b {
		return nil
	}
	lines := udiff.Lines(a, b)
	edits := make([]Edit, len(lines))
	for i, l := range lines {
		edits[i] = Edit{yamldoc.Range{Start: l.Start, End: l.End}, l.New}
	}
	// Runs the line diff reports as a deletion next to an insertion become one replacement,
	// so that no two edits touch.
	edits = mergeAdjacentEdits(edits)
	for i, e := range edits {
		edits[i] = narrowEdit(a, e.Range, e.NewText)
	}
	return edits
}

// narrowEdit shrinks a replacement of a[r] by text to the part that differs, never splitting a
// character or a "\r\n".
func narrowEdit(a string, r yamldoc.Range, text string) Edit {
	old := a[r.Start:r.End]
	p := 0
	for p < len(old) && p < len(text) && old[p] == text[p] {
		p++
	}
	for p > 0 && (!cutPoint(old, p) || !cutPoint(text, p)) {
		p--
	}
	s := 0
	for s < len(old)-p && s < len(text)-p && old[len(old)-1-s] == text[len(text)-1-s] {
		s++
	}
	for s > 0 && (!cutPoint(old, len(old)-s) || !cutPoint(text, len(text)-s)) {
		s--
	}
	return Edit{yamldoc.Range{Start: r.Start + p, End: r.End - s}, text[p : len(text)-s]}
}

// cutPoint reports whether s may be cut at i: not inside a character or a "\r\n".
func cutPoint(s string, i int) bool {
	if i <= 0 || i >= len(s) {
		return true
	}
	return utf8.RuneStart(s[i]) && !(s[i-1] == '\r' && s[i] == '\n')
}
