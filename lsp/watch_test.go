package lsp

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"
)

func watchingCaps(relative bool) protocol.ClientCapabilities {
	return protocol.ClientCapabilities{Workspace: &protocol.WorkspaceClientCapabilities{
		DidChangeWatchedFiles: &protocol.DidChangeWatchedFilesClientCapabilities{DynamicRegistration: ptr(true), RelativePatternSupport: ptr(relative)},
	}}
}

// watchOptions returns the RegisterOptions of the latest watched-files registration.
func (c *testClient) watchOptionsLocked() string {
	for i := len(c.registrations) - 1; i >= 0; i-- {
		if r := c.registrations[i]; r.Method == protocol.MethodWorkspaceDidChangeWatchedFiles {
			return string(r.RegisterOptions)
		}
	}
	return ""
}

// TestPolicySavedReanalyses: a client that watches no files (Neovim 0.7) saves a custom policy
// open in the editor: the open manifests are analysed again with it, within a second.
func TestPolicySavedReanalyses(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	rule := filepath.Join(root, "policy", "registry.rego")
	writeFile(t, filepath.Join(root, ".kube-policy.yaml"), "policies: [./policy]\n")
	writeFile(t, rule, policySource("company-registry", registryRule))
	s := newSession(t, sessionOptions{root: root, initOpts: map[string]any{"debounceMs": 0}})
	u := uri.File(filepath.Join(root, "pod.yaml"))
	s.open(u, "yaml", podYAML)
	if d := s.diagnosticsAt(u, 1); !hasCode(d, "company-registry") {
		t.Fatalf("before: %v", codes(d))
	}
	s.open(uri.File(rule), "rego", policySource("company-registry", registryRule))

	// The rule now accepts docker.io's nginx too: podYAML's plain "nginx:1.27" still fails it;
	// then it accepts everything, and the finding goes.
	edited := policySource("company-registry", strings.Replace(registryRule, "\tsome c in lib.containers\n", "\tsome c in lib.containers\n\tfalse\n", 1))
	writeFile(t, rule, edited)
	start := time.Now()
	if err := s.server.DidSave(s.ctx(), &protocol.DidSaveTextDocumentParams{TextDocument: protocol.TextDocumentIdentifier{URI: uri.File(rule)}, Text: &edited}); err != nil {
		t.Fatal(err)
	}
	s.waitDiagnostics(u, "the finding gone after the policy was saved", func(d []protocol.Diagnostic) bool {
		return !hasCode(d, "company-registry") && hasCode(d, "host-pid")
	})
	t.Logf("save of a .rego file to re-published diagnostics: %v", time.Since(start))
}

// TestWatchersCoverPoliciesOutsideTheWorkspace: the watcher registered covers the workspace's
// configuration files and policies, and, with relative pattern support, a configured policy
// directory outside the workspace, registered again when the configuration names it; a
// watched-file event from there rebuilds the engine.
func TestWatchersCoverPoliciesOutsideTheWorkspace(t *testing.T) {
	t.Parallel()
	root, outside := t.TempDir(), t.TempDir()
	config := filepath.Join(root, ".kube-policy.yaml")
	writeFile(t, config, "profile: default\n")
	rule := filepath.Join(outside, "registry.rego")
	writeFile(t, rule, policySource("company-registry", registryRule))
	s := newSession(t, sessionOptions{root: root, caps: watchingCaps(true), initOpts: map[string]any{"debounceMs": 0}})
	s.client.waitFor(t, "the watcher registration", func() bool {
		o := s.client.watchOptionsLocked()
		return strings.Contains(o, "**/.kube-policy.yaml") && strings.Contains(o, "**/*.rego")
	})
	s.client.mu.Lock()
	if o := s.client.watchOptionsLocked(); strings.Contains(o, "baseUri") {
		t.Errorf("a relative pattern without an outside policy directory: %s", o)
	}
	s.client.mu.Unlock()

	u := uri.File(filepath.Join(root, "pod.yaml"))
	s.open(u, "yaml", podYAML)
	if d := s.diagnosticsAt(u, 1); hasCode(d, "company-registry") {
		t.Fatalf("before: %v", codes(d))
	}
	writeFile(t, config, "policies: ["+outside+"]\n")
	s.configFileChanged(config)
	s.waitDiagnostics(u, "the outside policy applied", func(d []protocol.Diagnostic) bool { return hasCode(d, "company-registry") })
	s.client.waitFor(t, "a watcher on the outside directory", func() bool {
		return strings.Contains(s.client.watchOptionsLocked(), string(uri.File(outside)))
	})

	writeFile(t, rule, policySource("company-registry", "violations := set()\n"))
	s.notify(protocol.MethodWorkspaceDidChangeWatchedFiles, &protocol.DidChangeWatchedFilesParams{Changes: []protocol.FileEvent{
		{URI: uri.File(rule), Type: protocol.FileChangeTypeChanged},
	}})
	s.waitDiagnostics(u, "the edited outside policy applied", func(d []protocol.Diagnostic) bool { return !hasCode(d, "company-registry") && len(d) > 0 })
}

// TestRegoOutsidePolicyDirectoriesIgnored: a .rego file that no configuration loads changes
// nothing (the engines are not rebuilt).
func TestRegoOutsidePolicyDirectoriesIgnored(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	s := newSession(t, sessionOptions{root: root, initOpts: map[string]any{"debounceMs": 0}})
	u := uri.File(filepath.Join(root, "pod.yaml"))
	s.open(u, "yaml", podYAML)
	s.diagnosticsAt(u, 1)
	s.notify(protocol.MethodWorkspaceDidChangeWatchedFiles, &protocol.DidChangeWatchedFilesParams{Changes: []protocol.FileEvent{
		{URI: uri.File(filepath.Join(root, "elsewhere", "x.rego")), Type: protocol.FileChangeTypeCreated},
	}})
	deadline := time.Now().Add(waitTimeout)
	for !s.logged("in no configured policy directory") {
		if time.Now().After(deadline) {
			t.Fatal("the event was not handled")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if s.logged("reloading") {
		t.Error("a .rego file outside the policy directories reloaded the engines")
	}
}

// TestConfigEditedAppliesWithoutSave: an open .kube-policy.yaml applies as it is typed, once
// it validates; an invalid text gets one diagnostic per error at its key and the last good
// configuration stays; closing it unsaved goes back to the file on disk.
func TestConfigEditedAppliesWithoutSave(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	config := filepath.Join(root, ".kube-policy.yaml")
	writeFile(t, config, "profile: default\n")
	s := newSession(t, sessionOptions{root: root, initOpts: map[string]any{"debounceMs": 0}})
	u := uri.File(filepath.Join(root, "pod.yaml"))
	s.open(u, "yaml", podYAML)
	if d := s.diagnosticsAt(u, 1); !hasCode(d, "host-pid") {
		t.Fatalf("before: %v", codes(d))
	}
	cu := uri.File(config)
	s.open(cu, "yaml", "profile: default\n")
	if d := s.diagnosticsAt(cu, 1); len(d) != 0 {
		t.Fatalf("a valid config: %+v", d)
	}

	start := time.Now()
	s.change(cu, 2, whole("profile: default\nrules:\n  host-pid: {enabled: false}\n"))
	s.waitDiagnostics(u, "host-pid disabled by the unsaved config", func(d []protocol.Diagnostic) bool { return !hasCode(d, "host-pid") && len(d) > 0 })
	t.Logf("edit of an open config to re-published diagnostics: %v", time.Since(start))

	// Invalid: two errors, each at its key; the last good configuration stays.
	s.change(cu, 3, whole("profile: strict\nrules:\n  host-pid: {enabled: false, severity: extreme}\n"))
	d := s.diagnosticsAt(cu, 3)
	if len(d) != 2 || d[0].Range.Start.Line != 0 || d[1].Range.Start.Line != 2 || !strings.Contains(messageOf(d[1]), "extreme") {
		t.Errorf("diagnostics of the invalid config: %+v", d)
	}
	s.change(u, 2, partial(0, 0, 0, 0, "# v2\n"))
	if d := s.diagnosticsAt(u, 2); hasCode(d, "host-pid") {
		t.Error("the invalid config replaced the last good one")
	}

	// Closed without saving: the file on disk applies again.
	if err := s.server.DidClose(s.ctx(), &protocol.DidCloseTextDocumentParams{TextDocument: protocol.TextDocumentIdentifier{URI: cu}}); err != nil {
		t.Fatal(err)
	}
	s.waitDiagnostics(u, "host-pid back with the file on disk", func(d []protocol.Diagnostic) bool { return hasCode(d, "host-pid") })
}
