package lsp

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"
	"go.lsp.dev/protocol"
)

func TestApplyChanges(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		text      string
		changes   []protocol.TextDocumentContentChangeEvent
		outOfSync bool // before
		want      string
		wantErr   bool
	}{
		{"insert", "a: 1\nb: 2\n", []protocol.TextDocumentContentChangeEvent{partial(1, 3, 1, 3, "0")}, false, "a: 1\nb: 02\n", false},
		{"delete across lines", "a: 1\nb: 2\nc: 3\n", []protocol.TextDocumentContentChangeEvent{partial(0, 4, 2, 0, "\n")}, false, "a: 1\nc: 3\n", false},
		{"after an emoji: UTF-16 columns", "k: 😀b\n", []protocol.TextDocumentContentChangeEvent{partial(0, 5, 0, 6, "X")}, false, "k: 😀X\n", false},
		{"replace an emoji", "k: 😀b\n", []protocol.TextDocumentContentChangeEvent{partial(0, 3, 0, 5, "é")}, false, "k: éb\n", false},
		{"inside a surrogate pair", "k: 😀b\n", []protocol.TextDocumentContentChangeEvent{partial(0, 4, 0, 4, "x")}, false, "k: 😀b\n", true},
		{"CRLF lines", "a: 1\r\nb: 2\r\n", []protocol.TextDocumentContentChangeEvent{partial(1, 0, 1, 1, "c")}, false, "a: 1\r\nc: 2\r\n", false},
		{"column past the line end is clamped", "ab\ncd\n", []protocol.TextDocumentContentChangeEvent{partial(0, 99, 0, 99, "!")}, false, "ab!\ncd\n", false},
		{"line past the end", "ab\n", []protocol.TextDocumentContentChangeEvent{partial(5, 0, 5, 0, "x")}, false, "ab\n", true},
		{"the end as line count, column 0", "ab", []protocol.TextDocumentContentChangeEvent{partial(0, 2, 1, 0, "\n")}, false, "ab\n", false},
		{"start after end", "abc\n", []protocol.TextDocumentContentChangeEvent{partial(0, 2, 0, 1, "x")}, false, "abc\n", true},
		{"several changes, each on the text the previous left", "a\n", []protocol.TextDocumentContentChangeEvent{
			partial(0, 1, 0, 1, "😀"), partial(0, 3, 0, 3, "b"), partial(0, 0, 0, 1, "c"),
		}, false, "c😀b\n", false},
		{"a whole text, then an edit of it", "old\n", []protocol.TextDocumentContentChangeEvent{whole("new\n"), partial(0, 0, 0, 1, "N")}, false, "New\n", false},
		{"out of sync: edits wait for a whole text", "a\n", []protocol.TextDocumentContentChangeEvent{partial(0, 0, 0, 0, "x"), whole("b\n"), partial(0, 1, 0, 1, "c")}, true, "bc\n", false},
		{"a refused change stops the rest", "a\n", []protocol.TextDocumentContentChangeEvent{partial(0, 0, 0, 0, "x"), partial(9, 0, 9, 0, "y"), partial(0, 0, 0, 0, "z")}, false, "xa\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, outOfSync, err := applyChanges(yamldoc.NewMapper(tt.text), tt.changes, yamldoc.UTF16, tt.outOfSync)
			if (err != nil) != tt.wantErr || outOfSync != tt.wantErr {
				t.Fatalf("error %v, out of sync %v; want error %v", err, outOfSync, tt.wantErr)
			}
			if m.Text() != tt.want {
				t.Errorf("text %q, want %q", m.Text(), tt.want)
			}
		})
	}
}

// FuzzApplyChanges checks applyChanges against a model of the client that computes UTF-16
// positions on its own.
func FuzzApplyChanges(f *testing.F) {
	f.Add("apiVersion: v1\r\nkind: Pod\n😀: é\r", uint64(1))
	f.Add("", uint64(2))
	f.Add("a\rb\r\nc\n", uint64(3))
	f.Fuzz(func(t *testing.T, text string, seed uint64) {
		if !utf8.ValidString(text) {
			return
		}
		r := rand.New(rand.NewPCG(seed, 7))
		model := &utf16Model{text: text}
		m := yamldoc.NewMapper(text)
		for range 20 {
			c := model.randomEdit(r)
			next, outOfSync, err := applyChanges(m, []protocol.TextDocumentContentChangeEvent{c}, yamldoc.UTF16, false)
			if err != nil || outOfSync {
				t.Fatalf("edit %+v of %q: %v", c, m.Text(), err)
			}
			if next.Text() != model.text {
				t.Fatalf("text %q, client's %q", next.Text(), model.text)
			}
			m = next
		}
	})
}

// utf16Model is the client's side of a document: it makes random edits and describes each as
// an editor does, in UTF-16 positions computed here, independently of yamldoc.Mapper.
type utf16Model struct{ text string }

var modelPieces = []string{"x", "é", "😀", "\r\n", "\n", "\r", "  k: v\r\n", "", "ü😀z", "---\n", "kind: Pod\n"}

func (m *utf16Model) randomEdit(r *rand.Rand) *protocol.TextDocumentContentChangePartial {
	a, b := m.boundary(r), m.boundary(r)
	if a > b {
		a, b = b, a
	}
	if r.IntN(3) > 0 { // mostly typing and small deletions
		b = a
		if r.IntN(4) == 0 {
			b = m.boundaryAfter(a, r.IntN(4))
		}
	}
	c := &protocol.TextDocumentContentChangePartial{
		Range: protocol.Range{Start: m.position(a), End: m.position(b)},
		Text:  modelPieces[r.IntN(len(modelPieces))],
	}
	m.text = m.text[:a] + c.Text + m.text[b:]
	return c
}

func (m *utf16Model) randomText(r *rand.Rand) string {
	var b strings.Builder
	for range r.IntN(30) {
		b.WriteString(modelPieces[r.IntN(len(modelPieces))])
	}
	return b.String()
}

// boundary is a random offset that a position can name: at a character boundary, not between
// the "\r" and "\n" of a CRLF.
func (m *utf16Model) boundary(r *rand.Rand) int {
	if m.text == "" {
		return 0
	}
	return m.fix(r.IntN(len(m.text) + 1))
}

func (m *utf16Model) boundaryAfter(a, chars int) int {
	for ; chars > 0 && a < len(m.text); chars-- {
		_, size := utf8.DecodeRuneInString(m.text[a:])
		a += size
	}
	return m.fix(a)
}

func (m *utf16Model) fix(off int) int {
	for off > 0 && off < len(m.text) && !utf8.RuneStart(m.text[off]) {
		off--
	}
	if off > 0 && off < len(m.text) && m.text[off-1] == '\r' && m.text[off] == '\n' {
		off--
	}
	return off
}

func (m *utf16Model) position(off int) protocol.Position {
	line, start := 0, 0
	for i := 0; i < off; i++ {
		switch m.text[i] {
		case '\n':
			line, start = line+1, i+1
		case '\r':
			if i+1 < len(m.text) && m.text[i+1] == '\n' {
				continue
			}
			line, start = line+1, i+1
		}
	}
	return protocol.Position{Line: uint32(line), Character: uint32(len(utf16.Encode([]rune(m.text[start:off]))))}
}
