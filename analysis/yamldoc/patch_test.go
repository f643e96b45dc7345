package yamldoc

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/kube-policy-ls/kube-policy-ls/internal/shareddata"
)

// treeDiff describes the first difference between two trees, or "".
func treeDiff(path string, a, b *yaml.Node) string {
	if a == nil || b == nil {
		if a != b {
			return fmt.Sprintf("%s: nil %v, want nil %v", path, a == nil, b == nil)
		}
		return ""
	}
	type facts struct {
		Kind                                  yaml.Kind
		Style                                 yaml.Style
		Tag, Value, Anchor                    string
		HeadComment, LineComment, FootComment string
		Line, Column, Children                int
	}
	fa := facts{a.Kind, a.Style, a.Tag, a.Value, a.Anchor, a.HeadComment, a.LineComment, a.FootComment, a.Line, a.Column, len(a.Content)}
	fb := facts{b.Kind, b.Style, b.Tag, b.Value, b.Anchor, b.HeadComment, b.LineComment, b.FootComment, b.Line, b.Column, len(b.Content)}
	if fa != fb {
		return fmt.Sprintf("%s: %+v, want %+v", path, fa, fb)
	}
	for i := range a.Content {
		if d := treeDiff(fmt.Sprintf("%s/%d", path, i), a.Content[i], b.Content[i]); d != "" {
			return d
		}
	}
	return ""
}

// checkPatch makes the edit in every document of text that Patched accepts and compares the
// patched document with a parse of the edited text. It returns how many it patched.
func checkPatch(t *testing.T, text string, at int, del int, repl string) int {
	t.Helper()
	patched := 0
	for _, d := range SplitDocuments(text) {
		if at < d.Offset || at+del > d.Offset+len(d.Text) {
			continue
		}
		d.Parse()
		start, end := at-d.Offset, at-d.Offset+del
		newText := d.Text[:start] + repl + d.Text[end:]
		fresh := &Document{Index: d.Index, Offset: d.Offset, Line: d.Line, Text: newText}
		p := d.Patched(start, end, repl, &Document{Index: d.Index, Offset: d.Offset, Line: d.Line, Text: newText})
		if p == nil {
			continue
		}
		patched++
		fresh.Parse()
		what := fmt.Sprintf("replacing [%d,%d) %q by %q", start, end, d.Text[start:end], repl)
		if fresh.Err != nil {
			t.Fatalf("%s: patched, but the text does not parse: %s", what, fresh.Err.Msg)
		}
		if diff := treeDiff("", p.Root, fresh.Root); diff != "" {
			t.Fatalf("%s: the patched tree differs from the parsed one at %s", what, diff)
		}
		if p.Text != newText || p.Hash != SplitDocuments(newText)[0].Hash && d.Offset == 0 {
			t.Fatalf("%s: text or hash not updated", what)
		}
		if p.Mapper().LineCount() != fresh.Mapper().LineCount() || p.Mapper().LineEnd(p.Mapper().LineCount()-1) != fresh.Mapper().LineEnd(fresh.Mapper().LineCount()-1) {
			t.Fatalf("%s: the line index was not updated", what)
		}
	}
	return patched
}

var patchPieces = []string{"x", "1", "0", "e", ".", " ", ":", "#", "-", "'", `"`, "\\", "&", "*", "!", "[", ",", "é", "true", "null", "0x1F", "~", "\t", "yes"}

func TestPatchedMatchesParse(t *testing.T) {
	text := "a: plain text # c\nb: \"quoted\"\nc: 'single'\nd:\n- item\n- 12\nkey: value\nn: 1\nt: tru\n"
	cases := []struct {
		after, repl string
		patches     bool
	}{
		{"plain tex", "x", true},
		{"\"quot", "x", true},
		{"'sing", "x", true},
		{"- ite", "m", true},
		{"- 1", "3", true},    // an int stays an int
		{"t: tru", "e", true}, // a string becomes a bool
		{"n: 1", ".5", true},  // an int becomes a float
		{"plain", ":", false}, // "plain: text" would be a mapping
		{"plain", " #", false},
		{"plain text", " ", false},
		{"\"quot", "\"", false},
		{"ke", "x", false}, // a key
		{"# ", "x", false}, // a comment
	}
	for _, c := range cases {
		at := strings.Index(text, c.after) + len(c.after)
		if got := checkPatch(t, text, at, 0, c.repl); (got > 0) != c.patches {
			t.Errorf("typing %q after %q: patched %v, want %v", c.repl, c.after, got > 0, c.patches)
		}
	}
}

// FuzzPatchedMatchesParse: any single edit that Patched accepts gives the tree a parse of the
// edited text gives (kinds, styles, tags, values, comments, lines and columns).
func FuzzPatchedMatchesParse(f *testing.F) {
	f.Add("a: b\nc: [d]\ne: \"f\" # g\n- h\n", uint16(1), uint8(0), uint8(0))
	if shared := shareddata.Optional(f, "corpus"); shared != "" {
		files, _ := filepath.Glob(filepath.Join(shared, "corpus", "*", "*.yaml"))
		for i, p := range files {
			if data, err := os.ReadFile(p); err == nil && i%15 == 0 && len(data) < 32<<10 {
				f.Add(string(data), uint16(i*7919), uint8(i), uint8(i>>3))
			}
		}
	}
	f.Fuzz(func(t *testing.T, text string, at uint16, piece, del uint8) {
		if len(text) == 0 {
			return
		}
		pos := int(at) % len(text)
		n := min(int(del%3), len(text)-pos)
		repl := patchPieces[int(piece)%len(patchPieces)]
		if del%5 == 4 {
			repl = ""
		}
		checkPatch(t, text, pos, n, repl)
	})
}

// On real files most keystrokes inside scalars are patched: the fuzz target compares something.
func TestPatchedOnCorpus(t *testing.T) {
	shared := shareddata.Optional(t, "corpus")
	if shared == "" {
		return
	}
	files, _ := filepath.Glob(filepath.Join(shared, "corpus", "*", "*.yaml"))
	r := rand.New(rand.NewPCG(1, 2))
	tried, patched := 0, 0
	for i, p := range files {
		data, err := os.ReadFile(p)
		if err != nil || i%10 != 0 || len(data) == 0 || len(data) > 64<<10 {
			continue
		}
		for range 20 {
			tried++
			patched += min(checkPatch(t, string(data), r.IntN(len(data)), 0, patchPieces[r.IntN(len(patchPieces))]), 1)
		}
	}
	if patched < tried/10 {
		t.Errorf("patched %d of %d random keystrokes: want a tenth at least", patched, tried)
	}
	t.Logf("patched %d of %d random keystrokes", patched, tried)
}
