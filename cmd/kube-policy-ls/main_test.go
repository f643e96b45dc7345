package main

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kube-policy-ls/kube-policy-ls/policies"
)

// runCLI runs the command in-process and returns its exit code, stdout and stderr.
func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

const privilegedPod = `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: c
    image: x
    securityContext:
      privileged: true
`

func TestCheckExitCodes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	bad := write("bad.yaml", privilegedPod)
	clean := write("clean.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n")
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"clean file", []string{"check", clean}, 0},
		{"findings", []string{"check", bad}, 1},
		{"below the threshold", []string{"check", "--fail-on", "critical", "--profile", "pss-baseline", clean}, 0},
		{"at the threshold", []string{"check", "--fail-on", "critical", bad}, 1},
		{"missing file", []string{"check", filepath.Join(dir, "nope.yaml")}, 2},
		{"bad flag", []string{"check", "--format", "xml", bad}, 2},
		{"bad severity", []string{"check", "--fail-on", "urgent", bad}, 2},
		{"bad profile", []string{"check", "--profile", "strict", bad}, 2},
		{"no paths", []string{"check"}, 2},
		{"unknown command", []string{"frobnicate"}, 2},
	}
	for _, tt := range tests {
		if code, _, stderr := runCLI(t, "", tt.args...); code != tt.want {
			t.Errorf("%s: exit %d, want %d (stderr %q)", tt.name, code, tt.want, stderr)
		}
	}
}

func TestCheckJSON(t *testing.T) {
	t.Parallel()
	code, out, stderr := runCLI(t, privilegedPod, "check", "--format", "json", "-")
	if code != 1 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct {
		Findings []struct {
			Rule, Severity, Message, File    string
			Line, Column, EndLine, EndColumn int
			Object                           map[string]string
			Fixable                          bool
		}
		Summary map[string]int
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, out)
	}
	var found bool
	for _, f := range rep.Findings {
		if f.Rule != "privileged-container" {
			continue
		}
		found = true
		// "      privileged: true" on line 10: key at column 7, value ends before column 23
		if f.File != "-" || f.Line != 10 || f.Column != 7 || f.EndLine != 10 || f.EndColumn != 23 {
			t.Errorf("position %s:%d:%d-%d:%d, want -:10:7-10:23", f.File, f.Line, f.Column, f.EndLine, f.EndColumn)
		}
		if f.Severity != "critical" || !f.Fixable || f.Object["kind"] != "Pod" || f.Object["name"] != "p" || !strings.Contains(f.Message, `"c"`) {
			t.Errorf("finding = %+v", f)
		}
	}
	if !found {
		t.Errorf("no privileged-container finding in %s", out)
	}
	if rep.Summary["files"] != 1 || rep.Summary["objects"] != 1 || rep.Summary["findings"] != len(rep.Findings) {
		t.Errorf("summary = %v", rep.Summary)
	}
}

func TestCheckText(t *testing.T) {
	t.Parallel()
	_, out, _ := runCLI(t, privilegedPod, "check", "--color", "never", "-")
	// the source line and the caret are indented by two spaces under the message
	want := "-:10:7: critical privileged-container: container \"c\" sets securityContext.privileged: true\n        privileged: true\n        ^~~~~~~~~~~~~~~~\n"
	if !strings.Contains(out, want) {
		t.Errorf("text output lacks\n%s\ngot\n%s", want, out)
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("colour codes in non-terminal output")
	}
	if _, colored, _ := runCLI(t, privilegedPod, "check", "--color", "always", "-"); !strings.Contains(colored, "\x1b[") {
		t.Error("--color always printed no colour")
	}
}

func TestCheckSARIF(t *testing.T) {
	t.Parallel()
	_, out, _ := runCLI(t, privilegedPod, "check", "--format", "sarif", "-")
	var log struct {
		Version string
		Runs    []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						ID   string
						Help struct{ Text, Markdown string }
					}
				}
			}
			Results []struct {
				RuleID    string
				RuleIndex int
				Level     string
				Fixes     []struct {
					Description     struct{ Text string }
					ArtifactChanges []struct {
						Replacements []struct {
							DeletedRegion   struct{ StartLine, StartColumn, EndLine, EndColumn int }
							InsertedContent struct{ Text string }
						}
					}
				}
				Locations []struct {
					PhysicalLocation struct {
						Region struct{ StartLine, StartColumn, EndLine, EndColumn int }
					}
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &log); err != nil {
		t.Fatal(err)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 1 {
		t.Fatalf("SARIF version %q, %d runs", log.Version, len(log.Runs))
	}
	run := log.Runs[0]
	for _, r := range run.Results {
		if rule := run.Tool.Driver.Rules[r.RuleIndex]; rule.ID != r.RuleID || rule.Help.Text == "" {
			t.Errorf("result %s points at rule %s (help %q)", r.RuleID, rule.ID, rule.Help.Text)
		}
		if r.RuleID == "privileged-container" {
			reg := r.Locations[0].PhysicalLocation.Region
			if r.Level != "error" || reg.StartLine != 10 || reg.StartColumn != 7 || reg.EndColumn != 23 {
				t.Errorf("privileged-container: level %s region %+v", r.Level, reg)
			}
			// the fix replaces "true" (line 10, columns 19-23) with "false"
			if len(r.Fixes) != 1 || len(r.Fixes[0].ArtifactChanges) != 1 || r.Fixes[0].Description.Text == "" {
				t.Fatalf("privileged-container fixes: %+v", r.Fixes)
			}
			rep := r.Fixes[0].ArtifactChanges[0].Replacements
			if len(rep) != 1 || rep[0].InsertedContent.Text != "false" || rep[0].DeletedRegion.StartLine != 10 || rep[0].DeletedRegion.StartColumn != 19 || rep[0].DeletedRegion.EndColumn != 23 {
				t.Errorf("privileged-container replacement: %+v", rep)
			}
		}
	}
}

func TestCheckWalksDirectories(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for name, text := range map[string]string{
		"a.yaml":                      privilegedPod,
		"sub/b.yml":                   privilegedPod,
		"notes.txt":                   privilegedPod,
		".git/c.yaml":                 privilegedPod,
		"chart/Chart.yaml":            "apiVersion: v2\nname: chart\nversion: 0.1.0\n",
		"chart/templates/deploy.yaml": strings.Replace(privilegedPod, "name: p", "name: {{ .Release.Name }}", 1),
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, out, _ := runCLI(t, "", "check", "--format", "json", dir)
	var rep struct {
		Findings []struct{ Rule, File string }
		Summary  map[string]int
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	files := map[string]bool{}
	for _, f := range rep.Findings {
		files[filepath.ToSlash(strings.TrimPrefix(f.File, dir+string(filepath.Separator)))] = true
		if strings.Contains(f.File, "templates") && f.Rule == "helm-template" {
			t.Errorf("a chart's template was not rendered: %s", f.Rule)
		}
	}
	for _, want := range []string{"a.yaml", "sub/b.yml", "chart/templates/deploy.yaml"} {
		if !files[want] {
			t.Errorf("%s was not checked (findings in %v)", want, files)
		}
	}
	if files["notes.txt"] || files[".git/c.yaml"] {
		t.Errorf("checked files that should be skipped: %v", files)
	}
}

func TestCheckConfigFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".kube-policy.yaml"), []byte("profile: pss-baseline\nrules:\n  privileged-container: {enabled: false}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "pod.yaml"), []byte(privilegedPod), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, stderr := runCLI(t, "", "check", dir); code != 0 {
		t.Errorf("config disables the only baseline finding, yet exit %d:\n%s%s", code, out, stderr)
	}
	if err := os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte("profile: strict\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, "", "check", "--config", filepath.Join(dir, "bad.yaml"), filepath.Join(dir, "pod.yaml"))
	if code != 2 || !strings.Contains(stderr, `profile "strict"`) {
		t.Errorf("bad config: exit %d, stderr %q", code, stderr)
	}
}

// TestRulesDocCurrent keeps docs/rules.md equal to `kube-policy-ls rules --format markdown`.
func TestRulesDocCurrent(t *testing.T) {
	t.Parallel()
	_, out, _ := runCLI(t, "", "rules", "--format", "markdown")
	want, err := os.ReadFile(filepath.Join("..", "..", "docs", "rules.md"))
	if err != nil {
		t.Fatal(err)
	}
	if out != string(want) {
		t.Error("docs/rules.md is stale: run `make docs`")
	}
	for _, id := range []string{"privileged-container", "cpu-limits", "yaml-syntax", "restricted-volume-types"} {
		if !strings.Contains(out, "\n## "+id+"\n") {
			t.Errorf("docs lack a section for %s", id)
		}
	}
}

func TestRulesCatalog(t *testing.T) {
	t.Parallel()
	code, out, _ := runCLI(t, "", "rules", "--format", "json")
	var rules []struct {
		ID       string
		Severity string
		Profiles []string
		Title    string
	}
	if err := json.Unmarshal([]byte(out), &rules); err != nil || code != 0 {
		t.Fatalf("exit %d: %v", code, err)
	}
	// every built-in policy + yaml-syntax, helm-template, helm-render, helm-values-key,
	// kustomize-build, invalid-suppression, unused-suppression
	if want := builtinPolicies(t) + 7; len(rules) != want || want < 33 {
		t.Errorf("%d rules in the catalog, want %d", len(rules), want)
	}
	// 27 policies of RULES.md in default + the seven engine rules (no profile); the rule pack of
	// RULES-NEXT.md names recommended or all.
	base := 0
	for _, r := range rules {
		if r.Title == "" || r.Severity == "" {
			t.Errorf("rule %s lacks title or severity", r.ID)
		}
		switch {
		case len(r.Profiles) == 0 || slices.Contains(r.Profiles, "default"):
			base++
		case !slices.Contains(r.Profiles, "recommended") && !slices.Contains(r.Profiles, "all"):
			t.Errorf("rule %s has profiles %v: want default, recommended or all as its lowest tier", r.ID, r.Profiles)
		}
	}
	if base != 34 {
		t.Errorf("%d rules of the default catalog and the engine, want 34", base)
	}
}

// builtinPolicies counts the rule files of the embedded policies.
func builtinPolicies(t *testing.T) int {
	t.Helper()
	entries, err := fs.ReadDir(policies.FS, "rules")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".rego") && !strings.HasSuffix(e.Name(), "_test.rego") {
			n++
		}
	}
	return n
}

func TestCheckSuppressed(t *testing.T) {
	t.Parallel()
	pod := strings.Replace(privilegedPod, "  name: p\n", "  name: p\n  annotations:\n    ignore.kube-policy-ls.io/privileged-container: \"build agent, reviewed\"\n", 1)
	code, out, _ := runCLI(t, pod, "check", "--profile", "pss-baseline", "--format", "json", "-")
	if code != 0 {
		t.Errorf("only a suppressed finding, yet exit %d", code)
	}
	var rep struct {
		Findings []struct {
			Rule       string
			Suppressed *struct{ By, Reason string }
		}
		Summary map[string]int
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) != 1 || rep.Findings[0].Suppressed == nil || rep.Findings[0].Suppressed.By != "annotation" || rep.Findings[0].Suppressed.Reason != "build agent, reviewed" {
		t.Errorf("findings = %+v", rep.Findings)
	}
	if rep.Summary["findings"] != 0 || rep.Summary["suppressed"] != 1 {
		t.Errorf("summary = %v", rep.Summary)
	}
	if _, text, _ := runCLI(t, pod, "check", "--profile", "pss-baseline", "-"); strings.Contains(text, "privileged-container") {
		t.Errorf("text output shows a suppressed finding:\n%s", text)
	}
	if _, text, _ := runCLI(t, pod, "check", "--profile", "pss-baseline", "--show-suppressed", "-"); !strings.Contains(text, "[suppressed by annotation: build agent, reviewed]") {
		t.Errorf("--show-suppressed output:\n%s", text)
	}
	_, sarif, _ := runCLI(t, pod, "check", "--profile", "pss-baseline", "--format", "sarif", "-")
	if !strings.Contains(sarif, `"justification": "annotation: build agent, reviewed"`) {
		t.Errorf("SARIF lacks the suppression:\n%s", sarif)
	}
}

func TestCheckCustomPolicy(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := map[string]string{
		".kube-policy.yaml": "profile: pss-baseline\npolicies: [policy]\n",
		"pod.yaml":          privilegedPod,
		"policy/team.rego": `# METADATA
# title: Pods must carry a team label
# description: Every workload needs an owner to page.
# custom:
#   id: team-label
#   severity: low
package acme.team_label

violations contains v if {
	input.kind == "Pod"
	not input.metadata.labels.team
	v := {"path": ["metadata"], "message": "pod has no team label"}
}
`,
		"policy/broken.rego": "package acme.broken\n\nviolations contains v if {\n",
	}
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, out, stderr := runCLI(t, "", "check", "--color", "never", filepath.Join(dir, "pod.yaml"))
	if code != 2 {
		t.Errorf("a broken policy file: exit %d, want 2", code)
	}
	if !strings.Contains(stderr, filepath.Join(dir, "policy", "broken.rego")+":") || !strings.Contains(stderr, "error:") {
		t.Errorf("stderr lacks the broken policy's position:\n%s", stderr)
	}
	if !strings.Contains(out, "low team-label: pod has no team label") || !strings.Contains(out, "privileged-container") {
		t.Errorf("custom and built-in findings expected:\n%s", out)
	}
}

func TestCheckBaseline(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pod := filepath.Join(dir, "pod.yaml")
	base := filepath.Join(dir, "baseline.json")
	if err := os.WriteFile(pod, []byte(privilegedPod), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCLI(t, "", "check", "--write-baseline", base, pod); code != 0 || !strings.Contains(stderr, "recorded") {
		t.Fatalf("write-baseline: exit %d, %s", code, stderr)
	}
	if code, out, _ := runCLI(t, "", "check", "--baseline", base, pod); code != 0 || !strings.Contains(out, "0 findings") {
		t.Errorf("everything is known, yet exit %d:\n%s", code, out)
	}
	// lines move and a new problem appears: only the new one is reported
	moved := "# a comment that moves every line\n" + strings.Replace(privilegedPod, "spec:\n", "spec:\n  hostPID: true\n", 1)
	if err := os.WriteFile(pod, []byte(moved), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runCLI(t, "", "check", "--format", "json", "--baseline", base, pod)
	var rep struct{ Findings []struct{ Rule string } }
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if code != 1 || len(rep.Findings) != 1 || rep.Findings[0].Rule != "host-pid" {
		t.Errorf("exit %d, findings %+v; want only host-pid", code, rep.Findings)
	}
	if err := os.WriteFile(base, []byte(`{"version": 7}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := runCLI(t, "", "check", "--baseline", base, pod); code != 2 {
		t.Errorf("bad baseline: exit %d, want 2", code)
	}
}
