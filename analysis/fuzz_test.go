package analysis

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"
	"github.com/kube-policy-ls/kube-policy-ls/internal/shareddata"
)

// fuzzSeeds are hand-made edge cases, plus a sample of the corpus when ../shared is present.
func fuzzSeeds(f *testing.F) {
	for _, s := range []string{
		"", "---", "...\n", "--- |\n  x\n", "a: &a [*a]\n", "a: *b\n", "\ufeffkind: Pod\n",
		"kind: Pod\r\nspec:\r\n  hostPID: true\r\n", "kind: [\n---\nkind: Pod\n",
		"{\"kind\": \"Pod\", \"spec\": {\"containers\": [{\"name\": \"😀\"}]}}",
		"apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  spec: {hostPID: true}\n",
		"apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: a\n    securityContext: {privileged: yes}\n",
		"a: !!binary aGVsbG8=\nb: !custom {x: 1}\nc: 0x1F\nd: .inf\ne: 1_000\n",
		"a: |\n  x\n\n  y\nb: >-\n  z\n",
		"a:\n- b\n- c: d\n  e: f\n",
		"a: \"\\u263A\"\nb: 'it''s'\n",
		"% YAML 1.2\n---\na: 1\n",
		"a: b\n\tc: d\n",
	} {
		f.Add(s)
	}
	var files []string
	if shared := shareddata.Optional(f, "corpus"); shared != "" {
		files, _ = filepath.Glob(filepath.Join(shared, "corpus", "*", "*.yaml"))
	}
	for i, p := range files {
		if i%40 != 0 { // a spread sample: the whole corpus is run by TestCorpusRobustness
			continue
		}
		if data, err := os.ReadFile(p); err == nil && len(data) < 64<<10 {
			f.Add(string(data))
		}
	}
}

// FuzzSplitAndParse: splitting loses no byte, documents tile the text, parsing never panics,
// and every error range lies inside its document.
func FuzzSplitAndParse(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, text string) {
		docs := yamldoc.SplitDocuments(text)
		var joined strings.Builder
		for i, d := range docs {
			if d.Index != i || d.Offset != joined.Len() {
				t.Fatalf("document %d at offset %d, want %d", i, d.Offset, joined.Len())
			}
			joined.WriteString(d.Text)
			d.Parse()
			if d.Err != nil && (d.Err.Range.Start < 0 || d.Err.Range.Start > d.Err.Range.End || d.Err.Range.End > len(d.Text)) {
				t.Fatalf("error range %v outside document of %d bytes", d.Err.Range, len(d.Text))
			}
			if d.Root != nil {
				for _, obj := range d.Objects() {
					if _, err := toValue(obj.Node); err != nil && !strings.Contains(err.Error(), "alias") && !strings.Contains(err.Error(), "nested") {
						t.Fatalf("conversion failed: %v", err)
					}
				}
			}
		}
		if joined.String() != text {
			t.Fatal("documents do not add up to the text")
		}
	})
}

// FuzzPathRange: any path, existing or not, maps to a range inside the document.
func FuzzPathRange(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, text string) {
		for _, d := range yamldoc.SplitDocuments(text) {
			d.Parse()
			if d.Root == nil {
				continue
			}
			for _, obj := range append(d.Objects(), yamldoc.Object{Node: d.Root}) {
				for _, path := range [][]any{
					nil, {"spec"}, {"spec", "containers", 0, "securityContext", "privileged"},
					{"spec", "template", "spec", "containers", 1, "resources", "limits", "cpu"},
					{"metadata", "annotations", "x"}, {"items", 0, "spec"}, {0}, {"a", "b", 2},
				} {
					r := d.PathRange(obj, path)
					if r.Start < 0 || r.Start > r.End || r.End > len(d.Text) {
						t.Fatalf("PathRange(%v) = %v outside %d bytes", path, r, len(d.Text))
					}
				}
			}
		}
	})
}

var fuzzEngine *Engine

// FuzzAnalyze: the whole engine on arbitrary text: no panic, ranges in the file, positions
// convertible to every encoding.
func FuzzAnalyze(f *testing.F) {
	fuzzSeeds(f)
	e, err := NewEngine(context.Background(), Config{})
	if err != nil {
		f.Fatal(err)
	}
	fuzzEngine = e
	f.Fuzz(func(t *testing.T, text string) {
		res, err := fuzzEngine.Analyze(context.Background(), Input{Text: text}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, fd := range res.Findings {
			if fd.Range.Start < 0 || fd.Range.Start > fd.Range.End || fd.Range.End > len(text) {
				t.Fatalf("%s range %v outside %d bytes", fd.Rule, fd.Range, len(text))
			}
			for _, enc := range []yamldoc.Encoding{yamldoc.UTF16, yamldoc.UTF8, yamldoc.CodePoints} {
				p := res.Mapper.Pos(fd.Range.Start, enc)
				back, err := res.Mapper.Offset(p, enc)
				if err != nil || (utf8.ValidString(text) && back != fd.Range.Start) {
					t.Fatalf("%s: offset %d -> %v -> %d, %v", fd.Rule, fd.Range.Start, p, back, err)
				}
			}
		}
	})
}
