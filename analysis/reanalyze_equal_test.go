package analysis

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kube-policy-ls/kube-policy-ls/internal/shareddata"
)

// policyErrorEngine is the built-in rules plus a custom rule whose helper has two conflicting
// definitions: it fails at run time on every Pod container with a name, so that the results
// it makes carry policy errors (and Reanalyze must carry them too).
func policyErrorEngine(tb testing.TB) *Engine {
	tb.Helper()
	dir := tb.TempDir()
	lib := "package acme.helpers\n\nimage_of(c) := c.image\n\nimage_of(c) := \"x\" if c.name\n"
	if err := os.WriteFile(filepath.Join(dir, "helpers.rego"), []byte(lib), 0o644); err != nil {
		tb.Fatal(err)
	}
	writePolicy(tb, dir, "uses-helper", `import data.acme.helpers

violations contains v if {
	some c in lib.containers
	v := {"path": c.path, "message": helpers.image_of(c.container)}
}
`)
	return newTestEngine(tb, Config{Policies: []string{dir}})
}

// Edit sequences that start from real manifests: the bundled examples always, and a spread
// of the corpus's smaller files when ../shared is there. The engine has a failing custom
// rule, so policy errors are compared along with findings.
func TestReanalyzeMatchesAnalyzeOnRealFiles(t *testing.T) {
	t.Parallel()
	e := policyErrorEngine(t)
	files, err := filepath.Glob(filepath.Join("..", "examples", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	var corpus []string
	if shared := shareddata.Optional(t, "corpus"); shared != "" { // else the examples only
		corpus, _ = filepath.Glob(filepath.Join(shared, "corpus", "*", "*.yaml"))
	}
	for i, p := range corpus {
		// a spread sample of files small enough to analyse twice per step
		if info, err := os.Stat(p); i%20 == 0 && err == nil && info.Size() < 16<<10 {
			files = append(files, p)
		}
	}
	for i, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		editSequence(t, e, p, string(data), 15, rand.New(rand.NewPCG(uint64(i), 2)))
	}
}

// The Pod fixture's containers make the custom rule fail: the comparison covers policy
// errors of fresh, reused and moved documents.
func TestReanalyzeMatchesAnalyzeWithPolicyErrors(t *testing.T) {
	t.Parallel()
	e := policyErrorEngine(t)
	other := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n"
	text := podWithImage + "---\n" + other + "---\n" + podWithImage
	res := analyzeText(t, e, text)
	if len(res.PolicyErrors) == 0 {
		t.Fatal("the failing custom rule made no policy error: the test would compare nothing")
	}
	for seed := range uint64(6) {
		checkEditSequence(t, e, "policy errors", text, 25, seed)
	}
}

// fuzzSource feeds math/rand from the fuzzer's bytes, one byte per draw in the top bits
// (which decide rand's IntN), so that the fuzzer steers the edits. The low bits come from a
// PCG: all-zero draws after the bytes run out would make IntN reject them forever.
type fuzzSource struct {
	ops []byte
	pcg *rand.PCG
}

func (s *fuzzSource) Uint64() uint64 {
	var top uint64
	if len(s.ops) > 0 {
		top, s.ops = uint64(s.ops[0]), s.ops[1:]
	}
	return top<<56 | s.pcg.Uint64()>>8
}

// FuzzReanalyzeMatchesAnalyze: from any text, a sequence of edits steered by ops, each
// followed by Reanalyze (with Compact between most of them, as the server does), gives the
// same Result as Analyze of the text at that point, on every field (resultDiff).
func FuzzReanalyzeMatchesAnalyze(f *testing.F) {
	pod := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  hostPID: true\n  containers:\n  - name: c\n    image: nginx\n"
	for i, s := range []string{
		"", pod, "---\n" + pod + "---\n" + pod + "...\n# tail\n",
		pod + "---\nbad: [\n---\n" + pod,
		strings.ReplaceAll("---\n"+pod+"---\n"+pod, "\n", "\r\n"),
		"%YAML 1.2\n---\n" + pod + "...\n%YAML 1.2\n---\n" + pod,
		strings.Replace(pod, "hostPID: true", "hostPID: true # kube-policy-ls ignore host-pid -- agent", 1) + "---\n" + pod,
		"apiVersion: v1\nkind: List\nitems:\n- " + strings.ReplaceAll(pod, "\n", "\n  "),
		podWithImage + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
	} {
		f.Add(s, []byte{byte(i * 37), 0x80, 0x10, 0xf0, byte(i), 0x40, 0xc0, 0x20})
	}
	var files []string
	if shared := shareddata.Optional(f, "corpus"); shared != "" { // else the inline seeds only
		files, _ = filepath.Glob(filepath.Join(shared, "corpus", "*", "*.yaml"))
	}
	for i, p := range files {
		if i%25 != 0 { // a spread sample: small files, so each execution stays quick
			continue
		}
		if data, err := os.ReadFile(p); err == nil && len(data) < 16<<10 {
			f.Add(string(data), []byte{byte(i), 0x55, 0xaa, 0x33, 0xcc, byte(len(data))})
		}
	}
	e := policyErrorEngine(f)
	f.Fuzz(func(t *testing.T, text string, ops []byte) {
		if len(text) > 64<<10 {
			t.Skip("over 64 KiB: too slow to analyse twice per step")
		}
		steps := 1 + min(len(ops)/6, 7)
		editSequence(t, e, "fuzz", text, steps, rand.New(&fuzzSource{ops: ops, pcg: rand.NewPCG(uint64(len(text)), uint64(len(ops)))}))
	})
}
