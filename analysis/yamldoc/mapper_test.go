package yamldoc

import (
	"strings"
	"testing"
)

func TestMapperPositions(t *testing.T) {
	t.Parallel()
	// line 0: "a😀b" (emoji is 4 bytes, 2 UTF-16 units, 1 code point); CRLF; line 1: "é"; lone CR; line 2: "x"
	text := "a😀b\r\né\rx"
	m := NewMapper(text)
	if got := m.LineCount(); got != 3 {
		t.Fatalf("LineCount = %d, want 3", got)
	}
	tests := []struct {
		offset int
		enc    Encoding
		want   Pos
	}{
		{0, UTF16, Pos{0, 0}},
		{1, UTF16, Pos{0, 1}},
		{5, UTF16, Pos{0, 3}}, // after the emoji: 1 + 2 units
		{5, CodePoints, Pos{0, 2}},
		{5, UTF8, Pos{0, 5}},
		{6, UTF16, Pos{0, 4}}, // end of line 0, before \r\n
		{8, UTF16, Pos{1, 0}},
		{10, UTF16, Pos{1, 1}}, // after é (2 bytes)
		{11, UTF16, Pos{2, 0}}, // after the lone \r
		{12, UTF16, Pos{2, 1}},
		{99, UTF16, Pos{2, 1}}, // clamped
	}
	for _, tt := range tests {
		if got := m.Pos(tt.offset, tt.enc); got != tt.want {
			t.Errorf("Pos(%d, %v) = %v, want %v", tt.offset, tt.enc, got, tt.want)
		}
		if tt.offset <= len(text) {
			back, err := m.Offset(tt.want, tt.enc)
			if err != nil || back != tt.offset {
				t.Errorf("Offset(%v, %v) = %d, %v; want %d", tt.want, tt.enc, back, err, tt.offset)
			}
		}
	}
	if got := m.Line(0); got != "a😀b" {
		t.Errorf("Line(0) = %q", got)
	}
}

func TestMapperOffsetErrors(t *testing.T) {
	t.Parallel()
	m := NewMapper("a😀b\nxy")
	if _, err := m.Offset(Pos{0, 2}, UTF16); err == nil || !strings.Contains(err.Error(), "inside a character") {
		t.Errorf("column inside a surrogate pair: err = %v", err)
	}
	if _, err := m.Offset(Pos{2, 0}, UTF16); err == nil {
		t.Error("line past the end: no error")
	}
	if _, err := m.Offset(Pos{-1, 0}, UTF16); err == nil {
		t.Error("negative line: no error")
	}
	if off, err := m.Offset(Pos{1, 50}, UTF16); err != nil || off != 9 {
		t.Errorf("column past line end = %d, %v; want clamp to 9", off, err)
	}
	if off, err := m.Offset(Pos{0, 50}, UTF16); err != nil || off != 6 {
		t.Errorf("column past end of line 0 = %d, %v; want 6 (before the newline)", off, err)
	}
}

func TestMapperASCIIFastPath(t *testing.T) {
	t.Parallel()
	m := NewMapper("abc\ndef\n")
	if got := m.Pos(5, UTF16); got != (Pos{1, 1}) {
		t.Errorf("Pos = %v", got)
	}
	if m.LineCount() != 3 || m.Line(2) != "" {
		t.Errorf("trailing newline: %d lines, last %q", m.LineCount(), m.Line(2))
	}
}

func TestMapperInvalidUTF8(t *testing.T) {
	t.Parallel()
	m := NewMapper("\xbf0\né")
	for _, enc := range []Encoding{UTF8, UTF16, CodePoints} {
		for _, off := range []int{0, 1, 2, 3, 5} {
			p := m.Pos(off, enc)
			if back, err := m.Offset(p, enc); err != nil || back != off {
				t.Errorf("%v: offset %d -> %v -> %d, %v", enc, off, p, back, err)
			}
		}
	}
	if _, err := m.Offset(Pos{1, 1}, UTF8); err == nil {
		t.Error("column inside é (UTF-8) accepted")
	}
}

// TestMapperIndexSizedExactly guards the up-front sizing of the line index: a large file's
// index is megabytes, and a wrong count either grows it again or wastes the difference.
func TestMapperIndexSizedExactly(t *testing.T) {
	for _, text := range []string{"", "a", "a\n", "a\r\nb\rc\n\r\n", "\r\r\n\n\r", "é\n\r"} {
		m := NewMapper(text)
		if len(m.lineStarts) != cap(m.lineStarts) {
			t.Errorf("NewMapper(%q): %d line starts in a capacity of %d", text, len(m.lineStarts), cap(m.lineStarts))
		}
	}
}
