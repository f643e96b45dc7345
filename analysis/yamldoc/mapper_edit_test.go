package yamldoc

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestMapperReplace(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		text       string
		start, end int
		ins        string
	}{
		{"insert a character", "a: 1\nb: 2\n", 1, 1, "x"},
		{"insert a line", "a: 1\nb: 2\n", 5, 5, "c: 3\n"},
		{"join two lines", "a: 1\nb: 2\n", 4, 5, ""},
		{"at the start", "a\nb\n", 0, 0, "\n"},
		{"at the end", "a\nb", 3, 3, "\n"},
		{"whole text", "a\nb\n", 0, 4, "x\r\ny"},
		{"LF after a lone CR makes CRLF", "a\rb", 2, 2, "\n"},
		{"CR before an LF makes CRLF", "a\nb", 1, 1, "\r"},
		{"split a CRLF", "a\r\nb", 2, 2, "x"},
		{"delete the CR of a CRLF", "a\r\nb", 1, 2, ""},
		{"delete the LF of a CRLF", "a\r\nb\r\n", 2, 3, ""},
		{"emoji", "k: 😀\nv: 1\n", 3, 7, "é\n"},
		{"empty text", "", 0, 0, "a\nb"},
		{"delete everything", "a\nb\nc\n", 0, 6, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkReplace(t, tt.text, tt.start, tt.end, tt.ins)
		})
	}
}

func TestMapperReplaceRejectsBadRanges(t *testing.T) {
	t.Parallel()
	m := NewMapper("abc")
	for _, r := range [][2]int{{-1, 0}, {2, 1}, {0, 4}} {
		if _, err := m.Replace(r[0], r[1], "x"); err == nil {
			t.Errorf("Replace(%d, %d) succeeded, want an error", r[0], r[1])
		}
	}
}

func checkReplace(t *testing.T, text string, start, end int, ins string) {
	t.Helper()
	got, err := NewMapper(text).Replace(start, end, ins)
	if err != nil {
		t.Fatal(err)
	}
	want := NewMapper(text[:start] + ins + text[end:])
	if got.text != want.text {
		t.Fatalf("text = %q, want %q", got.text, want.text)
	}
	if !slices.Equal(got.lineStarts, want.lineStarts) {
		t.Fatalf("Replace(%q, %d, %d, %q): line starts %v, want %v", text, start, end, ins, got.lineStarts, want.lineStarts)
	}
	if got.ascii && !want.ascii {
		t.Fatalf("Replace(%q, %d, %d, %q) claims an ASCII text", text, start, end, ins)
	}
}

func FuzzMapperReplace(f *testing.F) {
	f.Add("a: 1\r\nb: 2\n", 3, 5, "\r")
	f.Add("x\ry\n😀\n", 1, 2, "\n\r")
	f.Add("", 0, 0, "\r\n")
	f.Fuzz(func(t *testing.T, text string, start, end int, ins string) {
		if start < 0 || end < start || end > len(text) {
			return
		}
		checkReplace(t, text, start, end, ins)
	})
}

// EditedFrom knows the edit that made a Mapper from the one it was made from, and only from
// that one: not from an earlier Mapper in the chain, nor from another Mapper of the same text.
func TestMapperEditedFrom(t *testing.T) {
	a := NewMapper("kind: Pod\nspec: {}\n")
	b, err := a.Replace(6, 9, "Deployment")
	if err != nil {
		t.Fatal(err)
	}
	c, err := b.Replace(0, 0, "# c\n")
	if err != nil {
		t.Fatal(err)
	}
	if start, oldEnd, newEnd, ok := b.EditedFrom(a); !ok || start != 6 || oldEnd != 9 || newEnd != 16 {
		t.Errorf("b from a: %d %d %d %v, want 6 9 16", start, oldEnd, newEnd, ok)
	}
	if start, oldEnd, newEnd, ok := c.EditedFrom(b); !ok || start != 0 || oldEnd != 0 || newEnd != 4 {
		t.Errorf("c from b: %d %d %d %v, want 0 0 4", start, oldEnd, newEnd, ok)
	}
	// from a, two edits back: both, joined
	if start, oldEnd, newEnd, ok := c.EditedFrom(a); !ok || start != 0 || oldEnd != 9 || newEnd != 20 {
		t.Errorf("c from a: %d %d %d %v, want 0 9 20", start, oldEnd, newEnd, ok)
	}
	for name, m := range map[string]*Mapper{"another of b's text": NewMapper(b.Text()), "nil": nil, "a slice": b.Slice(0, 5)} {
		if _, _, _, ok := c.EditedFrom(m); ok {
			t.Errorf("c claims an edit from %s", name)
		}
	}
	if _, _, _, ok := a.EditedFrom(NewMapper(a.Text())); ok {
		t.Error("a Mapper no edit made claims one")
	}
	// A Replace on a Mapper with no identity (a slice) records nothing.
	if d, err := b.Slice(0, 5).Replace(0, 1, "K"); err != nil || len(d.edits) != 0 {
		t.Errorf("a slice's edit recorded: %v (%v)", d.edits, err)
	}
}

// After random chains of Replaces, EditedFrom each of the last editHistory Mappers gives a
// range outside which the two texts are equal, and knows none further back.
func TestMapperEditedFromChains(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	for range 300 {
		chain := []*Mapper{NewMapper("apiVersion: v1\nkind: Pod\nspec: {}\n")}
		for range 1 + r.IntN(12) {
			m := chain[len(chain)-1]
			start := r.IntN(len(m.Text()) + 1)
			end := start + r.IntN(min(4, len(m.Text())-start)+1)
			next, err := m.Replace(start, end, "xy\n"[:r.IntN(4)])
			if err != nil {
				t.Fatal(err)
			}
			chain = append(chain, next)
		}
		last := chain[len(chain)-1]
		for k, old := range chain[:len(chain)-1] {
			back := len(chain) - 1 - k
			start, oldEnd, newEnd, ok := last.EditedFrom(old)
			if ok != (back <= editHistory) {
				t.Fatalf("%d edits back: known %v, want %v", back, ok, back <= editHistory)
			}
			if !ok {
				continue
			}
			a, b := old.Text(), last.Text()
			if a[:start] != b[:start] || len(a)-oldEnd != len(b)-newEnd || a[oldEnd:] != b[newEnd:] {
				t.Fatalf("%d edits back: [%d,%d) -> [%d,%d) leaves out a difference between %q and %q", back, start, oldEnd, start, newEnd, a, b)
			}
		}
	}
}
