package analysis

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aymanbagabas/go-udiff"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/fix"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files of the fix tests")

// Golden fix tests. Each manifest of testdata/fix/inputs is written in one style (2- and
// 4-space indentation, flush sequences, flow style, comments everywhere, a fix in the third
// document, a CronJob, a List, a PodSecurityPolicy, quoted keys and values) and has findings
// of every fixable rule it can. For each style and each fixable rule, fix-all restricted to
// that rule must produce exactly testdata/fix/<style>/<rule>.diff; fix-all of every rule must
// produce exactly testdata/fix/<style>/all.yaml. CRLF variants of the first styles must give
// the same output with CRLF line ends. Run `go test -run TestFixGolden -update` to rewrite the
// golden files after a deliberate change, and review the diff.

// fixVariant is one way of fixing: the rules it applies and the configuration.
type fixVariant struct {
	name  string
	rules []string // nil: every fixable rule
	cfg   Config
}

func fixVariants(t *testing.T) []fixVariant {
	e := newTestEngine(t, Config{})
	var vs []fixVariant
	for _, r := range e.Rules() {
		if !r.Fixable {
			continue
		}
		v := fixVariant{name: r.ID, rules: []string{r.ID}}
		if !InProfile(r.Profiles, "default") {
			v.cfg = Config{Profile: "all"} // a rule of recommended or all: fixed where it is enabled
		}
		vs = append(vs, v)
	}
	if len(vs) < 18 {
		t.Fatalf("only %d fixable rules in the catalog", len(vs))
	}
	resources := []string{"cpu-limits", "cpu-requests", "memory-limits", "memory-requests"}
	return append(vs,
		fixVariant{name: "apparmor-profile@1.29", rules: []string{"apparmor-profile"}, cfg: Config{KubernetesVersion: "1.29"}},
		fixVariant{name: "resources@defaults", rules: resources, cfg: Config{Defaults: Defaults{Resources: ResourceDefaults{
			CPURequest: "250m", CPULimit: "1", MemoryRequest: "256Mi", MemoryLimit: "1Gi",
		}}}},
		fixVariant{name: "all"},
	)
}

func TestFixGolden(t *testing.T) {
	inputs, err := filepath.Glob(filepath.Join("testdata", "fix", "inputs", "*.yaml"))
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no inputs: %v", err)
	}
	engines := map[string]*Engine{}
	engine := func(cfg Config) *Engine {
		key := fmt.Sprintf("%+v", cfg)
		if engines[key] == nil {
			engines[key] = newTestEngine(t, cfg)
		}
		return engines[key]
	}
	variants := fixVariants(t)
	cases := 0
	for _, in := range inputs {
		style := strings.TrimSuffix(filepath.Base(in), ".yaml")
		data, err := os.ReadFile(in)
		if err != nil {
			t.Fatal(err)
		}
		src := string(data)
		for _, v := range variants {
			got, fixed := fixForGolden(t, engine(v.cfg), src, v)
			name := filepath.Join("testdata", "fix", style, v.name+".diff")
			want := udiff.Unified("a/"+style+".yaml", "b/"+style+".yaml", src, got)
			if v.name == "all" {
				name, want = filepath.Join("testdata", "fix", style, "all.yaml"), got
			}
			if fixed == 0 && v.name != "all" {
				if _, err := os.Stat(name); err == nil {
					t.Errorf("%s: nothing fixed, but %s exists", style, name)
				}
				continue
			}
			cases++
			compareGolden(t, name, want)
			// The same manifest with CRLF line ends gets the same fixes with CRLF line ends.
			if style == "indent2" || style == "comments" || style == "flow" {
				crlf, _ := fixForGolden(t, engine(v.cfg), toCRLF(src), v)
				if crlf != toCRLF(got) {
					t.Errorf("%s/%s with CRLF line ends:\n%s", style, v.name, udiff.Unified("want", "got", toCRLF(got), crlf))
				}
				cases++
			}
		}
	}
	t.Logf("%d golden cases", cases)
}

func toCRLF(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

// fixForGolden runs one variant on src and checks the properties every fix must keep. It
// returns the fixed text and the number of findings fixed.
func fixForGolden(t *testing.T, e *Engine, src string, v fixVariant) (string, int) {
	t.Helper()
	ctx := context.Background()
	before, err := e.Analyze(ctx, Input{Text: src}, nil)
	if err != nil {
		t.Fatal(err)
	}
	selected := func(f *Finding) bool { return v.rules == nil || slices.Contains(v.rules, f.Rule) }
	rep := before.FixAll(selected)
	for _, ff := range rep.Failed {
		t.Errorf("%s: %s %q: %v", v.name, ff.Finding.Rule, ff.Finding.Message, ff.Err)
	}
	got, err := fix.ApplyEdits(src, rep.Edits)
	if err != nil {
		t.Fatal(err)
	}
	after, err := e.Analyze(ctx, Input{Text: got}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range checkFixedText(before, after, rep.Edits) {
		t.Errorf("%s: %s", v.name, p)
	}
	for _, f := range after.Findings {
		if selected(&f) && f.Fixable() {
			t.Errorf("%s: still there after the fix: %s %q", v.name, f.Rule, f.Message)
		}
	}
	if extra := newFindings(before.Findings, after.Findings, ""); len(extra) > 0 {
		t.Errorf("%s: new findings after the fix: %q", v.name, extra)
	}
	if again := after.FixAll(selected); len(again.Edits) > 0 {
		t.Errorf("%s: a second fix-all still edits: %+v", v.name, again.Edits)
	}
	if strings.Contains(src, "\r\n") && strings.Count(got, "\n") != strings.Count(got, "\r\n") {
		t.Errorf("%s: a CRLF file got LF line ends", v.name)
	}
	return got, rep.Fixed
}

func compareGolden(t *testing.T, name, got string) {
	t.Helper()
	if *updateGolden {
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(name)
	if err != nil {
		t.Errorf("%v (run go test -run TestFixGolden -update to create it)", err)
		return
	}
	if string(want) != got {
		t.Errorf("%s differs from the fix's output:\n%s", name, udiff.Unified(name, "got", string(want), got))
	}
}
