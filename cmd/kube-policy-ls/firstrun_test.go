package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// What a new user meets first: the README's rule table, the summary line, --help.

// TestReadmeRuleTable keeps the README's table naming every rule of `kube-policy-ls rules`.
func TestReadmeRuleTable(t *testing.T) {
	t.Parallel()
	_, out, _ := runCLI(t, "", "rules", "--format", "json")
	var rules []struct{ ID string }
	if err := json.Unmarshal([]byte(out), &rules); err != nil || len(rules) == 0 {
		t.Fatalf("rules --format json: %v (%d rules)", err, len(rules))
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	inTable := map[string]bool{}
	// table rows start with "| id[, id...] |"
	for _, m := range regexp.MustCompile(`(?m)^\| ([a-z0-9, -]+) \|`).FindAllStringSubmatch(string(readme), -1) {
		for id := range strings.SplitSeq(m[1], ",") {
			inTable[strings.TrimSpace(id)] = true
		}
	}
	for _, r := range rules {
		if !inTable[r.ID] {
			t.Errorf("README's rule table lacks %s", r.ID)
		}
	}
}

func TestSummaryPlurals(t *testing.T) {
	t.Parallel()
	_, out, _ := runCLI(t, privilegedPod, "check", "--color", "never", "--profile", "pss-baseline", "-")
	if !strings.Contains(out, "1 finding (1 critical) in 1 file (1 object checked)") {
		t.Errorf("summary of one finding in one file:\n%s", out)
	}
	_, out, _ = runCLI(t, privilegedPod+"---\n"+privilegedPod, "check", "--color", "never", "--profile", "pss-baseline", "-")
	if !strings.Contains(out, "2 findings (2 critical) in 1 file (2 objects checked)") {
		t.Errorf("summary of two findings:\n%s", out)
	}
}

func TestHelpListsCommands(t *testing.T) {
	t.Parallel()
	for _, arg := range []string{"-h", "--help", "help"} {
		code, out, _ := runCLI(t, "", arg)
		if code != 0 {
			t.Errorf("%s: exit %d", arg, code)
		}
		for _, cmd := range []string{"check", "serve", "rules", "version"} {
			if !strings.Contains(out, "\n  "+cmd+" ") {
				t.Errorf("%s does not list %s:\n%s", arg, cmd, out)
			}
		}
	}
	// a command's own -h still shows that command's flags
	if _, _, errOut := runCLI(t, "", "serve", "-h"); !strings.Contains(errOut, "-log-level") {
		t.Errorf("serve -h:\n%s", errOut)
	}
}

// terminalStdin stands in for a terminal: a character device that is at its end at once.
type terminalStdin struct{ *strings.Reader }

func (terminalStdin) Stat() (os.FileInfo, error) { return charDevice{}, nil }

type charDevice struct{ os.FileInfo }

func (charDevice) Mode() os.FileMode { return os.ModeDevice | os.ModeCharDevice | 0o620 }

// TestBareCommandHint: typed on a terminal, the bare command says what it is doing and how
// to check files instead; from an editor's pipe it serves without a word on stderr.
func TestBareCommandHint(t *testing.T) {
	t.Parallel()
	var out, errOut strings.Builder
	run(nil, terminalStdin{strings.NewReader("")}, &out, &errOut)
	if lines := strings.Split(strings.TrimSpace(errOut.String()), "\n"); len(lines) != 1 ||
		!strings.Contains(lines[0], "language server protocol on stdin") || !strings.Contains(lines[0], "check PATH") {
		t.Errorf("on a terminal, stderr:\n%s", errOut.String())
	}
	code, stdout, stderr, answered := lspSession(t)
	if code != 0 || !answered || stderr != "" {
		t.Errorf("from a pipe: exit %d, shutdown answered %v, stdout %q, stderr %q", code, answered, stdout, stderr)
	}
}

// TestDemoManifest keeps `make demo` short and its story true: the demo pod has exactly its
// three headline findings, all fixable, and is clean once fixed.
func TestDemoManifest(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("..", "..", "examples", "demo-pod.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "demo-pod.yaml")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	_, out, _ := runCLI(t, "", "check", "--format", "json", path)
	var report struct {
		Findings []struct {
			Rule    string
			Fixable bool
		}
	}
	if err := json.Unmarshal([]byte(out), &report); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range report.Findings {
		got = append(got, f.Rule)
		if !f.Fixable {
			t.Errorf("%s is not fixable", f.Rule)
		}
	}
	if strings.Join(got, " ") != "host-pid privileged-container cap-sys-admin" {
		t.Errorf("demo findings: %v", got)
	}
	if code, out, errOut := runCLI(t, "", "check", "--fix", "--color", "never", path); code != 0 || !strings.Contains(out, "0 findings") {
		t.Errorf("after --fix: exit %d\n%s%s", code, out, errOut)
	}
}
