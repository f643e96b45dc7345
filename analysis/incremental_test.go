package analysis

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/kube-policy-ls/kube-policy-ls/internal/shareddata"
)

// sameAnalysis fails unless got (from Reanalyze) describes text exactly as want (from Analyze):
// every field of the Result and of what it holds (resultDiff, result_diff_test.go).
func sameAnalysis(t *testing.T, label string, got, want *Result) {
	t.Helper()
	if d := resultDiff(got, want); d != "" {
		t.Fatalf("%s: Reanalyze differs from Analyze at %s", label, d)
	}
}

// randomEdit changes text at a random place: it types or deletes a few characters, inserts
// or removes a line, or adds or removes a document marker.
func randomEdit(r *rand.Rand, text string) (start, end int, ins string) {
	pos := 0
	if len(text) > 0 {
		pos = r.IntN(len(text) + 1)
	}
	for pos > 0 && pos < len(text) && !isRuneStart(text[pos]) {
		pos--
	}
	lineStart := strings.LastIndexByte(text[:pos], '\n') + 1
	pieces := []string{"x", "é", "😀", ": ", "\n", "\r\n", "---\n", "...\n", "# c\n", "  - name: x\n", "{", "\n---\napiVersion: v1\nkind: Pod\nspec: {hostPID: true}\n"}
	switch r.IntN(7) {
	case 5: // a keystroke inside a word: mostly a scalar no rule reads, whose verdicts are kept
		if pos > 0 && isWordByte(text[pos-1]) {
			if r.IntN(3) == 0 {
				return pos - 1, pos, ""
			}
			return pos, pos, string("xe1-./t"[r.IntN(7)])
		}
		return pos, pos, "a"
	case 6: // a suppression comment at the end of the line: text, which no projection holds
		lineEnd := strings.IndexByte(text[pos:], '\n')
		if lineEnd < 0 {
			lineEnd = len(text) - pos
		}
		return pos + lineEnd, pos + lineEnd, " # kube-policy-ls ignore host-pid,run-as-non-root -- r"
	case 0: // delete a few bytes (whole characters)
		end = pos
		for n := r.IntN(8); n > 0 && end < len(text); n-- {
			end++
			for end < len(text) && !isRuneStart(text[end]) {
				end++
			}
		}
		return pos, end, ""
	case 1: // delete the line
		end = strings.IndexByte(text[pos:], '\n')
		if end < 0 {
			return lineStart, len(text), ""
		}
		return lineStart, pos + end + 1, ""
	case 2: // insert at the start of the line
		return lineStart, lineStart, pieces[r.IntN(len(pieces))]
	default:
		return pos, pos, pieces[r.IntN(len(pieces))]
	}
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

func isWordByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
}

func checkEditSequence(t *testing.T, e *Engine, label, text string, steps int, seed uint64) {
	t.Helper()
	editSequence(t, e, label, text, steps, rand.New(rand.NewPCG(seed, 1)))
}

// editSequence edits text steps times as an editor does and checks each Reanalyze against an
// Analyze of the same text. A step applies one to three edits (a didChange with several
// changes) and usually hands Reanalyze the edited Mapper, sometimes none (a full-text change).
// Most results are compacted before they serve as the next step's prev, as the server keeps
// them; the others are kept whole, as after a fix.
func editSequence(t *testing.T, e *Engine, label, text string, steps int, r *rand.Rand) {
	t.Helper()
	ctx := context.Background()
	prev, err := e.Analyze(ctx, Input{Path: label, Text: text}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for step := range steps {
		m := prev.Mapper
		var edits []string
		for range 1 + r.IntN(3) {
			start, end, ins := randomEdit(r, m.Text())
			if m, err = m.Replace(start, end, ins); err != nil {
				t.Fatal(err)
			}
			edits = append(edits, fmt.Sprintf("[%d,%d) by %q", start, end, ins))
		}
		text = m.Text()
		if r.IntN(4) == 0 {
			m = nil
		}
		got, err := e.Reanalyze(ctx, Input{Path: label, Text: text}, m, prev)
		if err != nil {
			t.Fatal(err)
		}
		want, err := e.Analyze(ctx, Input{Path: label, Text: text}, nil)
		if err != nil {
			t.Fatal(err)
		}
		what := fmt.Sprintf("%s step %d (replace %s)", label, step, strings.Join(edits, ", then "))
		sameAnalysis(t, what, got, want)
		if r.IntN(4) != 0 {
			got.Compact()
			want.Compact()
			sameAnalysis(t, what+", both compacted", got, want)
		}
		prev = got
	}
}

func TestReanalyzeMatchesAnalyze(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Config{})
	pod := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  hostPID: true\n  containers:\n  - name: c\n    image: nginx\n"
	texts := map[string]string{
		"one document":           pod,
		"documents and markers":  "# header\n---\n" + pod + "---\n# only a comment\n---\n" + pod + "...\n---\nkind: x\n...\n# tail\n",
		"CRLF":                   strings.ReplaceAll("---\n"+pod+"---\n"+pod, "\n", "\r\n"),
		"lone CR line breaks":    strings.ReplaceAll(pod+"---\n"+pod, "\n", "\r"),
		"syntax error in middle": pod + "---\nbad: [\n---\n" + pod,
		"directives":             "%YAML 1.2\n---\n" + pod + "...\n%YAML 1.2\n---\n" + pod,
		"empty":                  "",
		"suppressions":           strings.Repeat("---\n"+strings.Replace(pod, "hostPID: true", "hostPID: true # kube-policy-ls ignore host-pid -- a node agent", 1), 3),
	}
	for name, text := range texts {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for seed := range uint64(8) {
				checkEditSequence(t, e, name, text, 40, seed)
			}
		})
	}
}

func TestReanalyzeCorpusFiles(t *testing.T) {
	t.Parallel()
	root := filepath.Join(shareddata.Path(t, "corpus"), "corpus")
	e := newTestEngine(t, Config{})
	for i, name := range []string{
		"argoproj__argo-cd/manifests__ha__install.yaml",
		"projectcalico__calico/manifests__calico.yaml",
		"GoogleCloudPlatform__microservices-demo/kubernetes-manifests__adservice.yaml",
	} {
		data, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			t.Skipf("corpus file %s: %v", name, err)
		}
		steps := 25
		if testing.Short() {
			steps = 5
		}
		checkEditSequence(t, e, name, string(data), steps, uint64(i))
	}
}

func TestReanalyzeReusesUntouchedDocuments(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Config{})
	pod := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p%d\nspec:\n  hostPID: true\n  containers:\n  - name: c\n    image: nginx\n"
	var b strings.Builder
	for i := range 20 {
		fmt.Fprintf(&b, "---\n"+pod, i)
	}
	ctx := context.Background()
	prev, err := e.Analyze(ctx, Input{Text: b.String()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	at := strings.Index(prev.Mapper.Text(), "name: p10") + len("name: p10")
	m, err := prev.Mapper.Replace(at, at, "x")
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Reanalyze(ctx, Input{Text: m.Text()}, m, prev)
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range res.Docs {
		if fresh := d.Doc.Root != nil && prev.Docs[i].Doc.Root != d.Doc.Root; fresh != (i == 10) {
			t.Errorf("document %d parsed again: %v, want %v", i, fresh, i == 10)
		}
		if !strings.HasPrefix(m.Text()[d.Doc.Offset:], d.Doc.Text) {
			t.Errorf("document %d text is not at its offset", i)
		}
	}
}

func TestCompactKeepsFindingsAndTreesOfFlaggedDocuments(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Config{})
	text := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostPID: true\n  containers: [{name: c, image: x}]\n"
	res, err := e.Analyze(context.Background(), Input{Text: text}, nil)
	if err != nil {
		t.Fatal(err)
	}
	findings := len(res.Findings)
	res.Compact()
	if res.Docs[0].Doc.Root != nil || res.Docs[0].Objects[0].Node != nil {
		t.Error("the ConfigMap without findings kept its tree")
	}
	if res.Docs[0].Objects[0].Ref.Kind != "ConfigMap" {
		t.Error("Compact dropped the object reference")
	}
	if res.Docs[1].Doc.Root == nil || len(res.Findings) != findings {
		t.Error("the flagged Pod lost its tree or findings")
	}
}

// A document whose only findings are suppressed has no tree to keep, but its suppressed
// findings must survive Compact and a later reuse of the document.
func TestCompactKeepsSuppressedFindings(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Config{})
	data, err := os.ReadFile(filepath.Join("..", "examples", "hardened-deployment.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	quiet := strings.Replace(string(data), "    spec:\n", "    spec:\n      hostPID: true # kube-policy-ls ignore host-pid -- the node agent reads host processes\n", 1)
	other := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n"
	text := quiet + "---\n" + other
	res, err := e.Analyze(context.Background(), Input{Text: text}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 0 || len(res.Suppressed) != 1 || res.Suppressed[0].Rule != "host-pid" {
		t.Fatalf("the fixture changed: findings %v, suppressed %v", res.Findings, res.Suppressed)
	}
	res.Compact()
	if res.Docs[0].Doc.Root != nil {
		t.Error("a document without findings kept its tree")
	}
	at := strings.Index(text, "data: {a: b}")
	m, err := res.Mapper.Replace(at, at+len("data: {a: b}"), "data: {a: c}")
	if err != nil {
		t.Fatal(err)
	}
	next, err := e.Reanalyze(context.Background(), Input{Text: m.Text()}, m, res)
	if err != nil {
		t.Fatal(err)
	}
	if len(next.Suppressed) != 1 || next.Suppressed[0].Rule != "host-pid" {
		t.Errorf("after Compact and an edit elsewhere, suppressed findings are %v, want the host-pid one", next.Suppressed)
	}
}

func TestCompactForReport(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Config{})
	text := "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostPID: true\n  containers: [{name: c, image: x}]\n"
	res, err := e.Analyze(context.Background(), Input{Text: text}, nil)
	if err != nil {
		t.Fatal(err)
	}
	before := slices.Clone(res.Findings)
	var fixable Finding
	for _, f := range res.Findings {
		if f.Fixable() {
			fixable = f
		}
	}
	if _, err := res.FixEdits(fixable); err != nil {
		t.Fatalf("before compacting: %v", err)
	}
	res.CompactForReport()
	if res.Docs[0].Doc.Root != nil || res.Docs[0].Objects[0].Node != nil {
		t.Error("the flagged Pod kept its tree")
	}
	if !reflect.DeepEqual(res.Findings, before) || res.Docs[0].Objects[0].Ref.Name != "p" {
		t.Error("CompactForReport changed the findings or dropped the object reference")
	}
	if _, err := res.FixEdits(fixable); err == nil || !strings.Contains(err.Error(), "released for a report") {
		t.Errorf("a fix of a compacted result: error %v, want one saying the tree was released", err)
	}
}

// BenchmarkReanalyzeKeystroke types one character into a Deployment of the largest
// multi-document file of the corpus, as the language server does on each keystroke.
func BenchmarkReanalyzeKeystroke(b *testing.B) {
	benchTyping(b, "argoproj__argo-cd/manifests__ha__install.yaml", "name: argocd-repo-server\n")
}

func TestReanalyzeLimits(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Config{})
	ctx := context.Background()
	pod := "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostPID: true\n  containers: [{name: c, image: x}]\n"
	for name, edit := range map[string]string{
		"a NUL byte":     "a\x00b",
		"a 1 MiB line":   strings.Repeat("x", MaxLineBytes+1),
		"a Helm action":  "{{ .Values.x }}: [",
		"a syntax error": "bad: [",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			prev, err := e.Analyze(ctx, Input{Text: pod + "---\n" + pod}, nil)
			if err != nil {
				t.Fatal(err)
			}
			at := len(pod) + 4
			m, err := prev.Mapper.Replace(at, at, edit+"\n")
			if err != nil {
				t.Fatal(err)
			}
			got, err := e.Reanalyze(ctx, Input{Text: m.Text()}, m, prev)
			if err != nil {
				t.Fatal(err)
			}
			want, err := e.Analyze(ctx, Input{Text: m.Text()}, nil)
			if err != nil {
				t.Fatal(err)
			}
			sameAnalysis(t, name, got, want)
		})
	}
}

// An edit in a field no rule reads keeps the verdicts (the very violations, not an equal
// copy), while ranges still follow the text and a suppression comment typed next to a finding
// still silences it: the result is what Analyze gives. Results are compacted between
// keystrokes, as the server keeps them.
func TestReanalyzeKeepsVerdictsOfUnreadFields(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Config{})
	ctx := context.Background()
	text := "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n  labels: {app: web}\nspec:\n  template:\n    spec:\n      hostPID: true\n      containers:\n      - name: web\n        image: nginx:1.27\n        env:\n        - {name: A, value: b}\n"
	prev := analyzeText(t, e, text)
	if len(prev.Findings) == 0 || len(prev.Docs[0].verdicts) != 1 {
		t.Fatalf("%d findings, %d verdicts: want findings and one verdict", len(prev.Findings), len(prev.Docs[0].verdicts))
	}
	step := func(prev *Result, what, old, repl string) *Result {
		t.Helper()
		at := strings.Index(prev.Mapper.Text(), old)
		m, err := prev.Mapper.Replace(at, at+len(old), repl)
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.Reanalyze(ctx, Input{Path: "test.yaml", Text: m.Text()}, m, prev)
		if err != nil {
			t.Fatal(err)
		}
		sameAnalysis(t, what, got, analyzeText(t, e, m.Text()))
		got.Compact() // as the server keeps it: the edited document keeps its verdicts
		return got
	}
	prev.Compact() // the first keystroke in a document evaluates it again
	prev = step(prev, "a first keystroke", "name: A,", "name: AB,")
	kept := func(a, b *Result) bool {
		va, vb := a.Docs[0].verdicts[0].perRule, b.Docs[0].verdicts[0].perRule
		return len(va) > 0 && len(vb) > 0 && &va[0] == &vb[0]
	}
	for _, edit := range [][2]string{
		{"nginx:1.27", "nginx:1.27.3"},
		{"app: web", "app: website"},
		{"value: b", "value: bb"},
		{"  labels:", "  # a comment\n  labels:"}, // lines move: the ranges must follow
		{"hostPID: true", "hostPID: true # kube-policy-ls ignore host-pid -- a node agent"},
	} {
		got := step(prev, edit[1], edit[0], edit[1])
		if !kept(prev, got) {
			t.Errorf("%s: the verdicts were evaluated again", edit[1])
		}
		prev = got
	}
	if len(prev.Suppressed) == 0 {
		t.Error("the suppression comment silenced nothing")
	}
	if got := step(prev, "a read field", "- name: web", "- name: api"); kept(prev, got) {
		t.Error("a container's name changed, and the verdicts were kept")
	}
}

// Compact keeps the tree of the document an edit changed, for the next keystroke to patch,
// and of no other document without findings; a re-check of the same text changes none.
func TestCompactKeepsTheEditedDocumentsTree(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Config{})
	ctx := context.Background()
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  key: some value\n"
	text := cm + "---\n" + cm
	trees := func(r *Result) (n int) {
		for _, d := range r.Docs {
			if d.holdsTree() {
				n++
			}
		}
		return n
	}
	prev := analyzeText(t, e, text)
	prev.Compact()
	again, err := e.Reanalyze(ctx, Input{Text: text}, nil, prev)
	if err != nil {
		t.Fatal(err)
	}
	if again.Compact(); trees(again) != 0 {
		t.Errorf("a re-check of the same text kept %d trees", trees(again))
	}
	at := strings.LastIndex(text, "some val") + len("some val")
	m, err := again.Mapper.Replace(at, at, "x")
	if err != nil {
		t.Fatal(err)
	}
	edited, err := e.Reanalyze(ctx, Input{Text: m.Text()}, m, again)
	if err != nil {
		t.Fatal(err)
	}
	if edited.Compact(); trees(edited) != 1 || !edited.Docs[1].holdsTree() {
		t.Errorf("after an edit in the second document, %d trees kept, want that document's", trees(edited))
	}

	// Once typing pauses, Settled releases that tree and its verdicts in a copy, and the next
	// keystroke parses the document again to the same result.
	settled := edited.Settled()
	if trees(settled) != 0 || settled.Docs[1].edited || settled.Docs[1].verdicts != nil {
		t.Errorf("the settled result keeps %d trees, want none, and its document still counts as edited", trees(settled))
	}
	if trees(edited) != 1 || !edited.Docs[1].edited {
		t.Error("Settled changed the result it settled, which code actions may be reading")
	}
	if settled.Settled() != settled || again.Settled() != again {
		t.Error("Settled copied a result that holds nothing to release")
	}
	m, err = settled.Mapper.Replace(at, at, "y")
	if err != nil {
		t.Fatal(err)
	}
	next, err := e.Reanalyze(ctx, Input{Text: m.Text()}, m, settled)
	if err != nil {
		t.Fatal(err)
	}
	want := analyzeText(t, e, m.Text())
	if !reflect.DeepEqual(next.Findings, want.Findings) || len(next.Docs) != len(want.Docs) {
		t.Errorf("after settling, a keystroke found %v, a full analysis %v", next.Findings, want.Findings)
	}
}
