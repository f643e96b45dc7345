package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kube-policy-ls/kube-policy-ls/internal/testtree"
)

// checkSummary runs check with JSON output and returns its summary.
func checkSummary(t *testing.T, args ...string) map[string]int {
	t.Helper()
	_, out, stderr := runCLI(t, "", append([]string{"check", "--format", "json"}, args...)...)
	var rep struct{ Summary map[string]int }
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("check %v: %v\n%s%s", args, err, out, stderr)
	}
	return rep.Summary
}

// A fixed file's report keeps the findings a suppression silences (issue 14, bug 3).
func TestCheckFixKeepsSuppressed(t *testing.T) {
	t.Parallel()
	hostPID := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: %s\n%sspec:\n  hostPID: true\n  containers:\n  - name: c\n    image: x\n"
	suppressed := strings.Replace(hostPID, "%s\n%s", "quiet\n  annotations:\n    ignore.kube-policy-ls.io/host-pid: \"node exporter, reviewed\"\n", 1)
	flagged := strings.Replace(hostPID, "%s\n%s", "loud\n", 1)
	text := suppressed + "---\n" + flagged
	for _, fix := range []bool{false, true} {
		dir := t.TempDir()
		testtree.Write(t, dir, map[string]string{"pods.yaml": text})
		args := []string{"--profile", "pss-baseline", filepath.Join(dir, "pods.yaml")}
		if fix {
			args = append([]string{"--fix"}, args...)
		}
		if sum := checkSummary(t, args...); sum["suppressed"] != 1 {
			t.Errorf("fix %v: summary %v, want 1 suppressed", fix, sum)
		}
	}
}

// check leaves out what the configuration's exclude patterns name (issue 14, bug 4).
func TestCheckExclude(t *testing.T) {
	dir := t.TempDir()
	testtree.Write(t, dir, map[string]string{
		".kube-policy.yaml":   "exclude: [\"charts/**\"]\n",
		"charts/sub/pod.yaml": privilegedPod,
		"ok.yaml":             "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
	})
	code, out, stderr := runCLI(t, "", "check", "--profile", "pss-baseline", dir)
	if code != 0 || strings.Contains(out, "pod.yaml") {
		t.Errorf("walked directory: exit %d, want 0 without charts/sub/pod.yaml:\n%s%s", code, out, stderr)
	}
	// Named on the command line, an excluded file is not checked either, and the user is told.
	named := filepath.Join(dir, "charts", "sub", "pod.yaml")
	code, out, stderr = runCLI(t, "", "check", "--profile", "pss-baseline", named)
	if code != 0 || strings.Contains(out, "privileged") || !strings.Contains(stderr, named+": file ignored because of a matching exclude pattern") {
		t.Errorf("named file: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, stderr)
	}
	// From inside the tree, relative paths too.
	t.Chdir(dir)
	if code, out, stderr := runCLI(t, "", "check", "--profile", "pss-baseline", "."); code != 0 {
		t.Errorf("relative walk: exit %d:\n%s%s", code, out, stderr)
	}
}

// SARIF from files of two configurations lists both configurations' rules and indexes each
// result's rule (issue 14, bug 5).
func TestCheckSARIFSeveralConfigurations(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	rule := func(id string) string {
		return "# METADATA\n# title: " + id + "\n# custom:\n#   id: " + id + "\n#   severity: high\npackage acme." + strings.ReplaceAll(id, "-", "_") +
			"\n\nviolations contains v if {\n\tinput.kind == \"Pod\"\n\tv := {\"path\": [\"metadata\"], \"message\": \"" + id + "\"}\n}\n"
	}
	testtree.Write(t, dir, map[string]string{
		"a/.kube-policy.yaml": "policies: [policy]\n", "a/policy/a.rego": rule("a-rule"), "a/pod.yaml": privilegedPod,
		"b/.kube-policy.yaml": "policies: [policy]\n", "b/policy/b.rego": rule("b-rule"), "b/pod.yaml": privilegedPod,
	})
	_, out, stderr := runCLI(t, "", "check", "--format", "sarif", filepath.Join(dir, "a"), filepath.Join(dir, "b"))
	var log struct {
		Runs []struct {
			Tool struct {
				Driver struct{ Rules []struct{ ID string } }
			}
			Results []struct {
				RuleID    string
				RuleIndex int
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &log); err != nil || len(log.Runs) != 1 {
		t.Fatalf("SARIF: %v\n%s%s", err, out, stderr)
	}
	run := log.Runs[0]
	ids := map[string]bool{}
	for _, r := range run.Tool.Driver.Rules {
		ids[r.ID] = true
	}
	if !ids["a-rule"] || !ids["b-rule"] {
		t.Errorf("driver.rules lacks a custom rule: %v", ids)
	}
	seen := map[string]bool{}
	for _, res := range run.Results {
		seen[res.RuleID] = true
		if res.RuleIndex < 0 || res.RuleIndex >= len(run.Tool.Driver.Rules) || run.Tool.Driver.Rules[res.RuleIndex].ID != res.RuleID {
			t.Errorf("result of %s has ruleIndex %d", res.RuleID, res.RuleIndex)
		}
	}
	if !seen["a-rule"] || !seen["b-rule"] {
		t.Errorf("results: %v, want a-rule and b-rule", seen)
	}
}
