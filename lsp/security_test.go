package lsp

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/kube-policy-ls/kube-policy-ls/analysis/workspace"
)

// secret is the content of a file outside the workspace that nothing may show.
const secret = "root:x:0:0:kube-policy-ls-secret-canary\n"

// everythingSent is every diagnostic message, log line and message the client received.
func (s *session) everythingSent() string {
	s.client.mu.Lock()
	defer s.client.mu.Unlock()
	var b strings.Builder
	for _, p := range s.client.published {
		for _, d := range p.Diagnostics {
			b.WriteString(messageOf(d) + "\n")
		}
	}
	for _, l := range append(append([]string{}, s.client.logs...), s.client.shown...) {
		b.WriteString(l + "\n")
	}
	return b.String()
}

// TestWorkspaceCannotReadOutside: a workspace's configuration may name a policy directory
// outside the workspace (the user configured it: honoured), but a policy path naming a file
// is an error at its key, a symbolic link in a policy directory is refused, and nothing of a
// file outside shows in any diagnostic or message.
func TestWorkspaceCannotReadOutside(t *testing.T) {
	t.Parallel()
	root, outside := t.TempDir(), t.TempDir()
	secretFile := filepath.Join(outside, "passwd")
	writeFile(t, secretFile, secret)
	writeFile(t, filepath.Join(outside, "secret.rego"), secret) // a .rego file, but in no configured directory
	external := filepath.Join(outside, "policies")
	writeFile(t, filepath.Join(external, "registry.rego"), policySource("company-registry", registryRule))
	local := filepath.Join(root, "policy")
	link := filepath.Join(local, "evil.rego")
	if err := os.MkdirAll(local, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secretFile, link); err != nil {
		t.Skipf("symbolic links: %v", err)
	}
	config := filepath.Join(root, ".kube-policy.yaml")
	writeFile(t, config, "profile: default\npolicies:\n  - ./policy\n  - "+external+"\n")
	s := newSession(t, sessionOptions{root: root, initOpts: map[string]any{"debounceMs": 0}})
	u := uri.File(filepath.Join(root, "pod.yaml"))
	s.open(u, "yaml", podYAML)
	if d := s.diagnosticsAt(u, 1); !hasCode(d, "company-registry") {
		t.Errorf("the policy directory outside the workspace, configured by the user, is not honoured: %v", codes(d))
	}
	ld := s.waitDiagnostics(uri.File(link), "the symbolic link refused", func(d []protocol.Diagnostic) bool { return len(d) > 0 })
	if len(ld) != 1 || !strings.Contains(messageOf(ld[0]), "symbolic link") {
		t.Errorf("diagnostics on the link: %+v", ld)
	}

	// The policy path names a file: one error at its entry, and the last good configuration
	// (with both directories) stays.
	writeFile(t, config, "profile: default\npolicies:\n  - ./policy\n  - "+secretFile+"\n")
	s.configFileChanged(config)
	cd := s.waitDiagnostics(uri.File(config), "the file named as a policy directory", func(d []protocol.Diagnostic) bool { return len(d) > 0 })
	if len(cd) != 1 || cd[0].Range.Start.Line != 3 || cd[0].Range.Start.Character != 4 || !strings.Contains(messageOf(cd[0]), "is not a directory") {
		t.Errorf("config diagnostics: %+v", cd)
	}
	s.change(u, 2, partial(0, 0, 0, 0, "# v2\n"))
	if d := s.diagnosticsAt(u, 2); !hasCode(d, "company-registry") {
		t.Errorf("the last good configuration is not in force: %v", codes(d))
	}
	// A manifest naming the file changes nothing either.
	s.change(u, 3, whole(strings.Replace(podYAML, "  containers:", "  volumes:\n  - name: p\n    hostPath: {path: "+secretFile+"}\n  containers:", 1)))
	s.diagnosticsAt(u, 3)

	if all := s.everythingSent(); strings.Contains(all, "kube-policy-ls-secret-canary") {
		t.Errorf("the content of a file outside the workspace reached the client:\n%s", all)
	}
	s.client.mu.Lock()
	defer s.client.mu.Unlock()
	for _, p := range s.client.published {
		path := uriPath(p.URI)
		if !workspace.Within(root, path) && !workspace.Within(external, path) {
			t.Errorf("diagnostics published on %s, outside the workspace and the policy directories", p.URI)
		}
	}
}

// TestRelativeEditorPoliciesNeedAFolder: editor settings with a relative policy directory
// and no workspace folder do not resolve it against the server's working directory.
func TestRelativeEditorPoliciesNeedAFolder(t *testing.T) {
	t.Parallel()
	s := newSession(t, sessionOptions{initOpts: map[string]any{"policies": []string{"policy"}, "debounceMs": 0}})
	u := uri.File("/nowhere/pod.yaml")
	s.open(u, "yaml", podYAML)
	if d := s.diagnosticsAt(u, 1); !hasCode(d, "host-pid") {
		t.Errorf("the built-in rules: %v", codes(d))
	}
	s.client.waitFor(t, "a message about the relative directory", func() bool {
		return strings.Contains(strings.Join(s.client.shown, "\n"), "relative")
	})
}
