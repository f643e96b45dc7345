package yamldoc

import (
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
