package analysis

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// diffEdits returns edits that turn a into b: a line diff (Myers' algorithm), each changed run
// of lines then narrowed to the characters that differ. Used when several operations were
// applied in turn, so that the edits of a fix-all are still small and against the original.
func diffEdits(a, b string) []Edit {
	if a == b {
		return nil
	}
	al, bl := diffSplitLines(a), diffSplitLines(b)
	aStarts := diffLineOffsets(al)
	bStarts := diffLineOffsets(bl)
	var edits []Edit
	for _, h := range diffLines(al, bl) {
		old := Range{aStarts[h.a1], aStarts[h.a2]}
		text := b[bStarts[h.b1]:bStarts[h.b2]]
		edits = append(edits, narrowEdit(a, old, text))
	}
	return edits
}

// diffSplitLines cuts s after each "\n"; the last line may lack one.
func diffSplitLines(s string) []string {
	lines := make([]string, 0, strings.Count(s, "\n")+1)
	for s != "" {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			lines = append(lines, s)
			break
		}
		lines = append(lines, s[:i+1])
		s = s[i+1:]
	}
	return lines
}

// diffLineOffsets returns the offset of each line's start, plus the total length.
func diffLineOffsets(lines []string) []int {
	offs := make([]int, len(lines)+1)
	for i, l := range lines {
		offs[i+1] = offs[i] + len(l)
	}
	return offs
}

// narrowEdit shrinks a replacement of a[r] by text to the part that differs, never splitting a
// character or a "\r\n".
func narrowEdit(a string, r Range, text string) Edit {
	old := a[r.Start:r.End]
	p := 0
	for p < len(old) && p < len(text) && old[p] == text[p] {
		p++
	}
	for p > 0 && (!diffCutPoint(old, p) || !diffCutPoint(text, p)) {
		p--
	}
	s := 0
	for s < len(old)-p && s < len(text)-p && old[len(old)-1-s] == text[len(text)-1-s] {
		s++
	}
	for s > 0 && (!diffCutPoint(old, len(old)-s) || !diffCutPoint(text, len(text)-s)) {
		s--
	}
	return Edit{Range{r.Start + p, r.End - s}, text[p : len(text)-s]}
}

// diffCutPoint reports whether s may be cut at i: not inside a character or a "\r\n".
func diffCutPoint(s string, i int) bool {
	if i <= 0 || i >= len(s) {
		return true
	}
	return utf8.RuneStart(s[i]) && !(s[i-1] == '\r' && s[i] == '\n')
}

// diffHunk replaces lines a[a1:a2] with b[b1:b2].
type diffHunk struct{ a1, a2, b1, b2 int }

// diffLines is Myers' O(ND) line diff, after trimming common leading and trailing lines.
func diffLines(a, b []string) []diffHunk {
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	ca, cb := a[pre:len(a)-suf], b[pre:len(b)-suf]
	var out []diffHunk
	for _, h := range myersDiff(ca, cb) {
		out = append(out, diffHunk{h.a1 + pre, h.a2 + pre, h.b1 + pre, h.b2 + pre})
	}
	return out
}

func myersDiff(a, b []string) []diffHunk {
	n, m := len(a), len(b)
	if n == 0 && m == 0 {
		return nil
	}
	if n == 0 || m == 0 {
		return []diffHunk{{0, n, 0, m}}
	}
	maxD := n + m
	off := maxD + 1
	v := make([]int, 2*maxD+3)
	// trace[d] holds v[-d-1 .. d+1] as it was before step d.
	var trace [][]int
	var done bool
	for d := 0; d <= maxD && !done; d++ {
		trace = append(trace, append([]int(nil), v[off-d-1:off+d+2]...))
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1]
			} else {
				x = v[off+k-1] + 1
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x, y = x+1, y+1
			}
			v[off+k] = x
			if x >= n && y >= m {
				done = true
				break
			}
		}
	}
	// Walk back from (n, m): each step d is a diagonal run of equal lines preceded by one
	// insertion or deletion.
	var equal [][2]int // pairs of equal lines, last first
	x, y := n, m
	for d := len(trace) - 1; d >= 0; d-- {
		tv := trace[d]
		get := func(k int) int { return tv[k+d+1] }
		k := x - y
		prevK := k - 1
		if k == -d || (k != d && get(k-1) < get(k+1)) {
			prevK = k + 1
		}
		prevX := get(prevK)
		prevY := prevX - prevK
		for x > prevX && y > prevY {
			x, y = x-1, y-1
			equal = append(equal, [2]int{x, y})
		}
		x, y = prevX, prevY
	}
	// The gaps between equal lines are the hunks.
	var hunks []diffHunk
	ax, by := 0, 0
	for i := len(equal) - 1; i >= -1; i-- {
		ex, ey := n, m
		if i >= 0 {
			ex, ey = equal[i][0], equal[i][1]
		}
		if ex > ax || ey > by {
			hunks = append(hunks, diffHunk{ax, ex, by, ey})
		}
		ax, by = ex+1, ey+1
	}
	return hunks
}

// UnifiedDiff writes the change from old to new as a unified diff with three lines of
// context, headed "--- oldName" and "+++ newName": what `check --fix --dry-run` prints. It is
// empty when nothing changed.
func UnifiedDiff(oldName, newName, old, new string) string {
	if old == new {
		return ""
	}
	a, b := diffSplitLines(old), diffSplitLines(new)
	hunks := diffLines(a, b)
	const context = 3
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", oldName, newName)
	for i := 0; i < len(hunks); {
		// Join hunks whose context would touch.
		j := i + 1
		for j < len(hunks) && hunks[j].a1-hunks[j-1].a2 <= 2*context {
			j++
		}
		first, last := hunks[i], hunks[j-1]
		a1, a2 := max(first.a1-context, 0), min(last.a2+context, len(a))
		b1 := first.b1 - (first.a1 - a1)
		b2 := last.b2 + (a2 - last.a2)
		fmt.Fprintf(&out, "@@ -%s +%s @@\n", diffHunkRange(a1, a2-a1), diffHunkRange(b1, b2-b1))
		pos := a1
		for _, h := range hunks[i:j] {
			for ; pos < h.a1; pos++ {
				diffWriteLine(&out, ' ', a[pos])
			}
			for _, l := range a[h.a1:h.a2] {
				diffWriteLine(&out, '-', l)
			}
			for _, l := range b[h.b1:h.b2] {
				diffWriteLine(&out, '+', l)
			}
			pos = h.a2
		}
		for ; pos < a2; pos++ {
			diffWriteLine(&out, ' ', a[pos])
		}
		i = j
	}
	return out.String()
}

func diffHunkRange(start, n int) string {
	if n == 0 {
		return fmt.Sprintf("%d,0", start)
	}
	if n == 1 {
		return fmt.Sprint(start + 1)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}

func diffWriteLine(out *strings.Builder, mark byte, line string) {
	out.WriteByte(mark)
	out.WriteString(line)
	if !strings.HasSuffix(line, "\n") {
		out.WriteString("\n\\ No newline at end of file\n")
	}
}
