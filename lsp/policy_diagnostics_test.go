package lsp

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"
)

// policySource is a custom rule file: METADATA with the rule id, a package named after it, and
// body.
func policySource(id, body string) string {
	return `# METADATA
# title: A custom rule
# description: A rule from the workspace's policy directory.
# custom:
#   id: ` + id + `
#   severity: high
#   fixable: false
package custom.` + strings.ReplaceAll(id, "-", "_") + `

import data.kubepolicy.lib

` + body
}

// registryRule flags images from outside registry.example.com (podYAML's nginx is).
const registryRule = `violations contains v if {
	some c in lib.containers
	not startswith(c.container.image, "registry.example.com/")
	v := {"path": array.concat(c.path, ["image"]), "message": sprintf("container %q pulls from outside the registry", [c.name])}
}
`

// brokenRule does not parse.
const brokenRule = "violations contains v if {\n\tv := \n}\n"

// conflictRule fails at run time on every object: two values for one complete rule.
const conflictRule = `answer = 1 if input.kind
answer = 2 if input.kind

violations contains v if {
	answer == 3
	v := {"path": [], "message": "never"}
}
`

// engineProblems is what the engine says of the policies of cfg, to compare with the server.
func engineProblems(t *testing.T, cfg analysis.Config) []analysis.PolicyError {
	t.Helper()
	e, err := analysis.NewEngine(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e.PolicyErrors()
}

func isPolicyDiagnostic(d protocol.Diagnostic) bool {
	src, _ := d.Source.Get()
	return d.Severity == protocol.DiagnosticSeverityError && src == Name && hasCode([]protocol.Diagnostic{d}, policyErrorCode)
}

// TestPolicyErrorsOnRegoFiles: a custom policy that does not compile is a diagnostic on its
// .rego file, open or not, at the error's line and column; the other rules keep working; the
// diagnostic goes when the file is fixed, and the fixed rule applies, without a restart.
func TestPolicyErrorsOnRegoFiles(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	policyDir := filepath.Join(root, "policy")
	writeFile(t, filepath.Join(root, ".kube-policy.yaml"), "policies: [./policy]\n")
	writeFile(t, filepath.Join(policyDir, "registry.rego"), policySource("company-registry", registryRule))
	broken := filepath.Join(policyDir, "broken.rego")
	writeFile(t, broken, policySource("broken-rule", brokenRule))
	want := engineProblems(t, analysis.Config{Policies: []string{policyDir}})
	if len(want) == 0 || want[0].File != broken {
		t.Fatalf("the engine's problems: %v", want)
	}

	s := newSession(t, sessionOptions{root: root, initOpts: map[string]any{"debounceMs": 0}})
	// No document is open: the engine of the workspace folder is built at start.
	diags := s.waitDiagnostics(uri.File(broken), "a diagnostic on broken.rego", func(d []protocol.Diagnostic) bool { return len(d) > 0 })
	if len(diags) != 1 || !isPolicyDiagnostic(diags[0]) {
		t.Fatalf("diagnostics on broken.rego: %+v", diags)
	}
	if start := diags[0].Range.Start; int(start.Line) != want[0].Line-1 || int(start.Character) != want[0].Column-1 {
		t.Errorf("diagnostic at %d:%d, want the error's %d:%d (1-based)", start.Line, start.Character, want[0].Line, want[0].Column)
	}
	if !strings.Contains(messageOf(diags[0]), want[0].Msg) {
		t.Errorf("message %q, want the error's %q", messageOf(diags[0]), want[0].Msg)
	}
	s.client.waitFor(t, "the policy error in the client's log", func() bool {
		return strings.Contains(strings.Join(s.client.logs, "\n"), broken)
	})

	u := uri.File(filepath.Join(root, "pod.yaml"))
	s.open(u, "yaml", podYAML)
	if d := s.diagnosticsAt(u, 1); !hasCode(d, "company-registry") || !hasCode(d, "host-pid") {
		t.Errorf("the custom and built-in rules: %v", codes(d))
	}

	// Fixed on disk: the diagnostic goes, and the rule now loads.
	writeFile(t, broken, policySource("broken-rule", `violations contains v if {
	input.spec.hostPID
	v := {"path": ["spec", "hostPID"], "message": "fixed rule"}
}
`))
	s.notify(protocol.MethodWorkspaceDidChangeWatchedFiles, &protocol.DidChangeWatchedFilesParams{Changes: []protocol.FileEvent{
		{URI: uri.File(broken), Type: protocol.FileChangeTypeChanged},
	}})
	s.waitDiagnostics(uri.File(broken), "broken.rego's diagnostic cleared", func(d []protocol.Diagnostic) bool { return len(d) == 0 })
	s.waitDiagnostics(u, "the fixed rule applied", func(d []protocol.Diagnostic) bool { return hasCode(d, "broken-rule") && hasCode(d, "host-pid") })
}

// TestPolicyRuntimeErrors: a custom rule that fails or times out on an open document is a
// diagnostic on its .rego file at the rule, the built-in rules keep working, and the
// diagnostic goes with the document.
func TestPolicyRuntimeErrors(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	policyDir := filepath.Join(root, "policy")
	writeFile(t, filepath.Join(root, ".kube-policy.yaml"), "policies: [./policy]\n")
	conflict := filepath.Join(policyDir, "conflict.rego")
	writeFile(t, conflict, policySource("conflict-rule", conflictRule))
	slow := filepath.Join(policyDir, "slow.rego")
	writeFile(t, slow, policySource("slow-rule", `violations contains v if {
	some a in numbers.range(1, 100000)
	some b in numbers.range(1, 100000)
	a * b == -1
	v := {"path": [], "message": "never"}
}
`))
	s := newSession(t, sessionOptions{root: root, initOpts: map[string]any{"debounceMs": 0}})
	u := uri.File(filepath.Join(root, "pod.yaml"))
	s.open(u, "yaml", podYAML)
	if d := s.diagnosticsAt(u, 1); !hasCode(d, "host-pid") {
		t.Errorf("built-in rules: %v", codes(d))
	}
	cd := s.waitDiagnostics(uri.File(conflict), "the runtime error on conflict.rego", func(d []protocol.Diagnostic) bool { return len(d) > 0 })
	if len(cd) != 1 || !isPolicyDiagnostic(cd[0]) || !strings.Contains(messageOf(cd[0]), "conflict-rule") || cd[0].Range.Start.Line < 10 {
		t.Errorf("conflict.rego: %+v", cd)
	}
	sd := s.waitDiagnostics(uri.File(slow), "the timeout on slow.rego", func(d []protocol.Diagnostic) bool { return len(d) > 0 })
	if len(sd) != 1 || !strings.Contains(messageOf(sd[0]), "did not finish within") || sd[0].Range.Start.Line != 11 {
		t.Errorf("slow.rego: %+v", sd)
	}
	if err := s.server.DidClose(s.ctx(), &protocol.DidCloseTextDocumentParams{TextDocument: protocol.TextDocumentIdentifier{URI: u}}); err != nil {
		t.Fatal(err)
	}
	s.waitDiagnostics(uri.File(conflict), "conflict.rego cleared with the document", func(d []protocol.Diagnostic) bool { return len(d) == 0 })
	s.waitDiagnostics(uri.File(slow), "slow.rego cleared with the document", func(d []protocol.Diagnostic) bool { return len(d) == 0 })
}

func TestPolicyDiagnosticsGroupByPosition(t *testing.T) {
	t.Parallel()
	text := "package x\n\nviolations contains v if {\n\tv := \"é\"\n}\n"
	errs := []analysis.PolicyError{
		{File: "/p/x.rego", Line: 4, Column: 7, Msg: "rule x failed on Pod/a"},
		{File: "/p/x.rego", Line: 4, Column: 7, Msg: "rule x failed on Pod/b"},
		{File: "/p/x.rego", Line: 1, Column: 1, Msg: "first"},
		{File: "/p/x.rego", Line: 99, Column: 3, Msg: "past the end"},
	}
	diags := policyDiagnostics(errs, text, yamldoc.UTF16)
	if len(diags) != 3 {
		t.Fatalf("diagnostics: %+v", diags)
	}
	if messageOf(diags[0]) != "first" || messageOf(diags[1]) != "rule x failed on Pod/a (and 1 more like it)" {
		t.Errorf("messages %q, %q", messageOf(diags[0]), messageOf(diags[1]))
	}
	if r := diags[1].Range; r.Start != (protocol.Position{Line: 3, Character: 6}) || r.End != (protocol.Position{Line: 3, Character: 9}) {
		t.Errorf("range %+v", r)
	}
	if r := diags[2].Range; r.Start.Line != 5 {
		t.Errorf("a line past the end is clamped to the last: %+v", r)
	}
}

func TestPublishablePolicyFile(t *testing.T) {
	t.Parallel()
	allowed := []string{"/ws", "/opt/policies"}
	for file, want := range map[string]bool{
		"/ws/policy/a.rego":         true,
		"/opt/policies/deep/b.rego": true,
		"/ws/policy/a.yaml":         false,
		"/etc/passwd":               false,
		"/etc/x.rego":               false,
		"/ws/../etc/x.rego":         false,
		"/opt/policies-other/.rego": false,
		"relative/a.rego":           false,
	} {
		if got := publishablePolicyFile(file, allowed); got != want {
			t.Errorf("publishablePolicyFile(%q) = %v, want %v", file, got, want)
		}
	}
}

// A custom rule's runtime error stays on its .rego file while the user types in the manifest
// (issue 14, bug 1: the incremental analysis dropped the policy errors, and the first
// didChange published an empty list for the .rego file).
func TestPolicyRuntimeErrorSurvivesTyping(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	writeFile(t, filepath.Join(root, ".kube-policy.yaml"), "policies: [./policy]\n")
	conflict := filepath.Join(root, "policy", "conflict.rego")
	writeFile(t, conflict, policySource("conflict-rule", conflictRule))
	s := newSession(t, sessionOptions{root: root, initOpts: map[string]any{"debounceMs": 0}})
	u := uri.File(filepath.Join(root, "pod.yaml"))
	s.open(u, "yaml", podYAML)
	s.diagnosticsAt(u, 1)
	s.waitDiagnostics(uri.File(conflict), "the runtime error on conflict.rego", func(d []protocol.Diagnostic) bool { return len(d) == 1 })
	at := strings.Index(podYAML, "nginx")
	for v := int32(2); v <= 3; v++ {
		col := uint32(at - strings.LastIndex(podYAML[:at], "\n") - 1)
		s.change(u, v, partial(7, col, 7, col, "x"))
		s.diagnosticsAt(u, v)
	}
	s.barrier()
	// every publication on conflict.rego, not only the last: the bug published an empty list
	s.client.mu.Lock()
	defer s.client.mu.Unlock()
	var counts []int
	for _, p := range s.client.published {
		if p.URI == uri.File(conflict) {
			counts = append(counts, len(p.Diagnostics))
		}
	}
	if slices.Contains(counts, 0) || len(counts) == 0 || counts[len(counts)-1] != 1 {
		t.Errorf("conflict.rego's publications while typing in the manifest: %v diagnostics each, want its runtime error throughout", counts)
	}
}
