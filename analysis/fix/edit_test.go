package fix

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestEditsBetween checks that the line diff's edits rebuild the new text, on random edits of
// random texts (with CRLF and multi-byte characters, which edits must not split).
func TestEditsBetween(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	pieces := []string{"a", "b: c", "  - d", "é", "🚀", "\r\n", "\n", "# x", " "}
	text := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		return b.String()
	}
	for range 2000 {
		a := text(r.IntN(40))
		b := a
		for range r.IntN(4) {
			i, j := r.IntN(len(b)+1), r.IntN(len(b)+1)
			i, j = min(i, j), max(i, j)
			b = b[:i] + text(r.IntN(6)) + b[j:]
		}
		checkDiffEdits(t, a, b)
	}
}

func checkDiffEdits(t *testing.T, a, b string) {
	t.Helper()
	edits := editsBetween(a, b)
	got, err := ApplyEdits(a, edits)
	if err != nil || got != b {
		t.Fatalf("editsBetween(%q, %q) = %+v: gives %q, %v", a, b, edits, got, err)
	}
	for _, e := range edits {
		for _, off := range []int{e.Range.Start, e.Range.End} {
			if off < len(a) && !utf8.RuneStart(a[off]) {
				t.Fatalf("edit %+v of %q splits a character", e, a)
			}
			if off > 0 && off < len(a) && a[off-1] == '\r' && a[off] == '\n' {
				t.Fatalf("edit %+v of %q splits a CRLF", e, a)
			}
		}
	}
}

func FuzzEditsBetween(f *testing.F) {
	f.Add("a\nb\nc\n", "a\nB\nc\nd\n")
	f.Add("x: 1\r\ny: 2\r\n", "x: 1\r\n  z: 3\r\ny: 2\r\n")
	f.Add("é\n", "è\n")
	f.Fuzz(func(t *testing.T, a, b string) {
		edits := editsBetween(a, b)
		got, err := ApplyEdits(a, edits)
		if err != nil || got != b {
			t.Fatalf("editsBetween(%q, %q): %q, %v", a, b, got, err)
		}
	})
}
