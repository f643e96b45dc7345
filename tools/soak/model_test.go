package soak

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"
	"go.lsp.dev/protocol"
)

// doc is the client's copy of one document: the text the editor holds, in which it computes
// the UTF-16 positions of its edits, as VS Code does. Line breaks are "\n", "\r\n" and a lone
// "\r", as in LSP.
type doc struct {
	text    string
	cursor  int  // byte offset where typing goes on
	crlf    bool // new lines are typed as "\r\n"
	version int32
}

// lineStart is the byte offset of the start of the line holding off, and that line's number.
func lineStart(text string, off int) (start, line int) {
	prefix := text[:off]
	if !strings.Contains(prefix, "\r") {
		i := strings.LastIndexByte(prefix, '\n')
		return i + 1, strings.Count(prefix, "\n")
	}
	for i := 0; i < off; i++ {
		switch text[i] {
		case '\n':
			line, start = line+1, i+1
		case '\r':
			if i+1 < len(text) && text[i+1] == '\n' {
				if i+1 < off {
					i++
					line, start = line+1, i+1
				}
				continue
			}
			line, start = line+1, i+1
		}
	}
	return start, line
}

// position is the LSP position (UTF-16) of byte offset off, which is a rune boundary not
// inside a "\r\n".
func position(text string, off int) protocol.Position {
	start, line := lineStart(text, off)
	return protocol.Position{Line: uint32(line), Character: uint32(utf16Len(text[start:off]))}
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += len(utf16.Encode([]rune{r}))
	}
	return n
}

// offset is the byte offset of an LSP position, or an error when it is not in the text or
// falls inside a character.
func offset(text string, p protocol.Position) (int, error) {
	line, off := 0, 0
	for line < int(p.Line) {
		i := strings.IndexAny(text[off:], "\r\n")
		if i < 0 {
			if line+1 == int(p.Line) && p.Character == 0 {
				return len(text), nil
			}
			return 0, fmt.Errorf("line %d is past the end", p.Line)
		}
		off += i
		if text[off] == '\r' && off+1 < len(text) && text[off+1] == '\n' {
			off++
		}
		off++
		line++
	}
	units := int(p.Character)
	for units > 0 {
		if off >= len(text) || text[off] == '\n' || text[off] == '\r' {
			return 0, fmt.Errorf("character %d is past the end of line %d", p.Character, p.Line)
		}
		r, size := utf8.DecodeRuneInString(text[off:])
		units -= len(utf16.Encode([]rune{r}))
		off += size
	}
	if units < 0 {
		return 0, fmt.Errorf("character %d of line %d is inside a character", p.Character, p.Line)
	}
	return off, nil
}

// boundary moves off back to a place where the editor may put a cursor: a rune boundary, not
// between "\r" and "\n".
func boundary(text string, off int) int {
	off = min(max(off, 0), len(text))
	for off > 0 && off < len(text) && !utf8.RuneStart(text[off]) {
		off--
	}
	if off > 0 && off < len(text) && text[off-1] == '\r' && text[off] == '\n' {
		off--
	}
	return off
}

// runeBefore is the extent of what a backspace at off removes: one character, or a "\r\n".
func runeBefore(text string, off int) int {
	if off >= 2 && text[off-2:off] == "\r\n" {
		return off - 2
	}
	_, size := utf8.DecodeLastRuneInString(text[:off])
	return off - size
}

// change is one edit in the client's terms, and as LSP sends it.
type change struct {
	start, end int // byte offsets in the text before the edit
	text       string
}

// apply applies c to d's text and returns its LSP form (positions in the text before).
func (d *doc) apply(c change) *protocol.TextDocumentContentChangePartial {
	ev := &protocol.TextDocumentContentChangePartial{
		Range: protocol.Range{Start: position(d.text, c.start), End: position(d.text, c.end)},
		Text:  c.text,
	}
	d.text = d.text[:c.start] + c.text + d.text[c.end:]
	d.cursor = c.start + len(c.text)
	return ev
}

// typed are the keys a keystroke types, with their weights: mostly ASCII, some non-ASCII
// (two bytes, three bytes, and a character outside the BMP: two UTF-16 units).
var typed = []struct {
	s string
	w int
}{
	{"abcdefghijklmnopqrstuvwxyz", 50}, {"ABCXYZ0123456789", 10}, {" ", 12}, {":", 3}, {"-", 3},
	{"\"'#{}[],.", 3}, {"é", 2}, {"中", 1}, {"😀", 2}, {"\n", 6}, {"\t", 1},
}

// keystroke returns the next keystroke at the cursor: a character typed, a new line with the
// current line's indentation, a backspace, or a delete.
func (d *doc) keystroke(r *rand.Rand) change {
	at := boundary(d.text, d.cursor)
	switch n := r.IntN(100); {
	case n < 12 && at > 0: // backspace
		return change{runeBefore(d.text, at), at, ""}
	case n < 15 && at < len(d.text): // delete
		return change{at, runeAfter(d.text, at), ""}
	}
	total := 0
	for _, t := range typed {
		total += t.w
	}
	pick := r.IntN(total)
	for _, t := range typed {
		if pick < t.w {
			chars := []rune(t.s)
			s := string(chars[r.IntN(len(chars))])
			if s == "\n" {
				start, _ := lineStart(d.text, at)
				line := d.text[start:at]
				indent := line[:len(line)-len(strings.TrimLeft(line, " "))]
				s = "\n" + indent
				if d.crlf {
					s = "\r" + s
				}
			}
			return change{at, at, s}
		}
		pick -= t.w
	}
	return change{at, at, "x"}
}

// runeAfter is the end of what a delete at off removes: one character, or a "\r\n".
func runeAfter(text string, off int) int {
	if strings.HasPrefix(text[off:], "\r\n") {
		return off + 2
	}
	_, size := utf8.DecodeRuneInString(text[off:])
	return off + size
}

// selection is a random range of up to max bytes, on boundaries.
func (d *doc) selection(r *rand.Rand, maxLen int) (int, int) {
	if len(d.text) == 0 {
		return 0, 0
	}
	a := boundary(d.text, r.IntN(len(d.text)+1))
	b := boundary(d.text, a+r.IntN(maxLen+1))
	return a, max(a, b)
}

// TestModelAgreesWithMapper: the client's positions are the server's (yamldoc.Mapper), so
// that a difference in the soak is the server's.
func TestModelAgreesWithMapper(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for _, text := range []string{"", "a", "a\r\nb\rc\n\r\nd", "é😀\r\n中\r\r\n", "x\n", "\r", "a: 1\r\nb: 😀😀\r\n"} {
		m := yamldoc.NewMapper(text)
		for off := 0; off <= len(text); off++ {
			if boundary(text, off) != off {
				continue
			}
			p := m.Pos(off, yamldoc.UTF16)
			want := protocol.Position{Line: uint32(p.Line), Character: uint32(p.Col)}
			if got := position(text, off); got != want {
				t.Errorf("%q offset %d: position %v, mapper %v", text, off, got, want)
			}
			if back, err := offset(text, want); err != nil || back != off {
				t.Errorf("%q position %v: offset %d %v, want %d", text, want, back, err, off)
			}
		}
	}
	// Random typing keeps the model and a Mapper fed the same edits in step.
	d := &doc{text: "apiVersion: v1\r\nkind: Pod\r\n", crlf: true}
	m := yamldoc.NewMapper(d.text)
	for range 3000 {
		c := d.keystroke(r)
		ev := d.apply(c)
		start, err1 := m.Offset(yamldoc.Pos{Line: int(ev.Range.Start.Line), Col: int(ev.Range.Start.Character)}, yamldoc.UTF16)
		end, err2 := m.Offset(yamldoc.Pos{Line: int(ev.Range.End.Line), Col: int(ev.Range.End.Character)}, yamldoc.UTF16)
		if err1 != nil || err2 != nil {
			t.Fatalf("edit %v does not fit the mapper: %v %v", ev.Range, err1, err2)
		}
		next, err := m.Replace(start, end, ev.Text)
		if err != nil {
			t.Fatal(err)
		}
		m = next
		if m.Text() != d.text {
			t.Fatalf("model and mapper differ after %v %q", ev.Range, ev.Text)
		}
	}
}
