package analysis

import (
	"math/rand/v2"
	"testing"

	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"
)

// differing takes the bytes that differ from the edit that made a Mapper. Where equal bytes
// make the difference ambiguous ("ax" -> "axx" inserts an x at 1 or at 2) it may find another
// range than comparing the whole texts would, but always one that holds every difference, is
// empty exactly when the texts are equal, and lies within the edit.
func TestDifferingFromTheEdit(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 19))
	alphabet := "ab\n:"
	word := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		return string(b)
	}
	for i := range 5000 {
		old := yamldoc.NewMapper(word(r.IntN(12)))
		start := r.IntN(len(old.Text()) + 1)
		end := start + r.IntN(len(old.Text())-start+1)
		m, err := old.Replace(start, end, word(r.IntN(4)))
		if err != nil {
			t.Fatal(err)
		}
		a, b := old.Text(), m.Text()
		got := differing(old, m)
		whole := differing(old, yamldoc.NewMapper(b)) // no edit known: the whole texts are compared
		suffix := len(b) - got.End
		switch {
		case a[:got.Start] != b[:got.Start] || suffix > len(a) || a[len(a)-suffix:] != b[got.End:]:
			t.Fatalf("case %d: %q -> %q (edit [%d,%d)): %+v leaves out a difference", i, a, b, start, end, got)
		case (a == b) != (got.Start == got.End && len(a) == len(b)):
			t.Fatalf("case %d: %q -> %q: %+v, texts equal %v", i, a, b, got, a == b)
		case got.Start < start || got.End > len(b)-(len(a)-end):
			t.Fatalf("case %d: %q -> %q (edit [%d,%d)): %+v reaches outside the edit", i, a, b, start, end, got)
		case (whole.Start == whole.End) != (got.Start == got.End):
			t.Fatalf("case %d: %q -> %q: %+v, from the texts %+v", i, a, b, got, whole)
		}
	}
}
