package lsp

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"
)

func TestInitializationOptionsSelectRules(t *testing.T) {
	t.Parallel()
	s := newSession(t, sessionOptions{initOpts: map[string]any{"profile": "pss-baseline"}})
	u := uri.File("/work/baseline.yaml")
	s.open(u, "yaml", podYAML)
	diags := s.diagnosticsAt(u, 1)
	if !hasCode(diags, "host-pid") || hasCode(diags, "cpu-limits") {
		t.Errorf("pss-baseline diagnostics: %v", codes(diags))
	}
}

// TestDidChangeConfigurationApplies: a client without workspace/configuration sends the
// settings in the notification (Neovim 0.7 does), under kubePolicy.
func TestDidChangeConfigurationApplies(t *testing.T) {
	t.Parallel()
	s := newSession(t, sessionOptions{})
	u := uri.File("/work/settings.yaml")
	s.open(u, "yaml", podYAML)
	if d := s.diagnosticsAt(u, 1); !hasCode(d, "host-pid") {
		t.Fatalf("before: %v", codes(d))
	}
	s.notify(protocol.MethodWorkspaceDidChangeConfiguration, map[string]any{"settings": map[string]any{"kubePolicy": map[string]any{
		"rules":              map[string]any{"host-pid": map[string]any{"enabled": false}, "cpu-limits": map[string]any{"severity": "critical"}},
		"diagnosticSeverity": map[string]any{"critical": "hint"},
	}}})
	diags := s.waitDiagnostics(u, "host-pid gone after the settings change", func(d []protocol.Diagnostic) bool { return !hasCode(d, "host-pid") })
	if c, _ := find(diags, "cpu-limits"); c.Severity != protocol.DiagnosticSeverityHint {
		t.Errorf("cpu-limits severity %v, want hint (critical mapped to hint)", c.Severity)
	}
	// Settings that do not validate are reported and change nothing.
	s.notify(protocol.MethodWorkspaceDidChangeConfiguration, map[string]any{"settings": map[string]any{"kubePolicy": map[string]any{"profile": "nonsense"}}})
	s.client.waitFor(t, "a message about the bad settings", func() bool {
		return len(s.client.shown) > 0 && strings.Contains(s.client.shown[len(s.client.shown)-1], "nonsense")
	})
	s.change(u, 2, partial(0, 0, 0, 0, "# v2\n"))
	if d := s.diagnosticsAt(u, 2); hasCode(d, "host-pid") {
		t.Error("bad settings replaced the last good ones")
	}
}

// TestWorkspaceConfiguration: a client with workspace/configuration is asked for the
// kubePolicy section after initialized and again on each didChangeConfiguration, whose own
// payload (VS Code's, with every default) is not used.
func TestWorkspaceConfiguration(t *testing.T) {
	t.Parallel()
	caps := protocol.ClientCapabilities{Workspace: &protocol.WorkspaceClientCapabilities{
		Configuration:          ptr(true),
		DidChangeConfiguration: &protocol.DidChangeConfigurationClientCapabilities{DynamicRegistration: ptr(true)},
		DidChangeWatchedFiles:  &protocol.DidChangeWatchedFilesClientCapabilities{DynamicRegistration: ptr(true)},
	}}
	s := newSession(t, sessionOptions{caps: caps, configure: func(c *testClient) {
		c.configuration = []byte(`{"profile": "pss-restricted"}`)
	}})
	s.client.waitFor(t, "registrations and a configuration request", func() bool {
		return len(s.client.registrations) == 2 && s.client.configAsked == 1
	})
	for _, r := range s.client.registrations {
		if r.Method == protocol.MethodWorkspaceDidChangeConfiguration && !strings.Contains(string(r.RegisterOptions), `"kubePolicy"`) {
			t.Errorf("didChangeConfiguration registered without the section: %s", r.RegisterOptions)
		}
		if r.Method == protocol.MethodWorkspaceDidChangeWatchedFiles && !strings.Contains(string(r.RegisterOptions), ".kube-policy.yaml") {
			t.Errorf("watched files: %s", r.RegisterOptions)
		}
	}
	u := uri.File("/work/restricted.yaml")
	s.open(u, "yaml", podYAML)
	s.waitDiagnostics(u, "pss-restricted rules", func(d []protocol.Diagnostic) bool {
		return hasCode(d, "run-as-non-root") && !hasCode(d, "cpu-limits")
	})
	s.client.mu.Lock()
	s.client.configuration = []byte(`{"profile": "pss-baseline"}`)
	s.client.mu.Unlock()
	s.notify(protocol.MethodWorkspaceDidChangeConfiguration, map[string]any{"settings": map[string]any{"kubePolicy": map[string]any{"profile": "default"}}})
	s.waitDiagnostics(u, "pss-baseline rules after the change", func(d []protocol.Diagnostic) bool {
		return hasCode(d, "host-pid") && !hasCode(d, "run-as-non-root") && !hasCode(d, "cpu-limits")
	})
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (s *session) configFileChanged(path string) {
	s.t.Helper()
	s.notify(protocol.MethodWorkspaceDidChangeWatchedFiles, &protocol.DidChangeWatchedFilesParams{Changes: []protocol.FileEvent{
		{URI: uri.File(path), Type: protocol.FileChangeTypeChanged},
	}})
}

func TestConfigFile(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	config := filepath.Join(root, ".kube-policy.yaml")
	writeFile(t, config, "rules:\n  host-pid: {enabled: false}\nexclude: [\"generated/**\"]\n")
	s := newSession(t, sessionOptions{root: root, initOpts: map[string]any{"debounceMs": 0, "rules": map[string]any{"cpu-limits": map[string]any{"enabled": false}}}})
	u := uri.File(filepath.Join(root, "deploy", "pod.yaml"))
	s.open(u, "yaml", podYAML)
	d := s.diagnosticsAt(u, 1)
	if hasCode(d, "host-pid") || hasCode(d, "cpu-limits") || !hasCode(d, "memory-limits") {
		t.Fatalf("with the file and the settings: %v", codes(d))
	}
	excluded := uri.File(filepath.Join(root, "generated", "pod.yaml"))
	s.open(excluded, "yaml", podYAML)
	if d := s.diagnosticsAt(excluded, 1); len(d) != 0 {
		t.Errorf("an excluded file got %v", codes(d))
	}

	// The file changes on disk: the documents are analysed again.
	writeFile(t, config, "rules:\n  host-pid: {severity: low}\n")
	s.configFileChanged(config)
	d = s.waitDiagnostics(u, "host-pid back after the config change", func(d []protocol.Diagnostic) bool { return hasCode(d, "host-pid") })
	if h, _ := find(d, "host-pid"); h.Severity != protocol.DiagnosticSeverityInformation {
		t.Errorf("host-pid severity %v, want information (low)", h.Severity)
	}
	if hasCode(d, "cpu-limits") {
		t.Error("the editor setting that disables cpu-limits was lost")
	}

	// A bad file: one diagnostic on it, and the last good configuration stays.
	writeFile(t, config, "rules:\n  host-pid: {severity: low}\nprofile: nonsense\n")
	s.configFileChanged(config)
	cd := s.waitDiagnostics(uri.File(config), "a diagnostic on the bad config file", func(d []protocol.Diagnostic) bool { return len(d) > 0 })
	if len(cd) != 1 || cd[0].Range.Start.Line != 2 || !strings.Contains(messageOf(cd[0]), "nonsense") {
		t.Errorf("config diagnostics %+v", cd)
	}
	s.change(u, 2, partial(0, 0, 0, 0, "# v2\n"))
	if d, _ := find(s.diagnosticsAt(u, 2), "host-pid"); d.Severity != protocol.DiagnosticSeverityInformation {
		t.Errorf("the last good configuration is not in force: host-pid severity %v", d.Severity)
	}

	// Fixed: the diagnostic on the config file goes away.
	writeFile(t, config, "profile: default\n")
	s.configFileChanged(config)
	s.waitDiagnostics(uri.File(config), "the config file's diagnostic cleared", func(d []protocol.Diagnostic) bool { return len(d) == 0 })
}

func TestConfigFileOpenInTheEditor(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	config := filepath.Join(root, ".kube-policy.yaml")
	s := newSession(t, sessionOptions{root: root, initOpts: map[string]any{"debounceMs": 0}})
	u := uri.File(config)
	s.open(u, "yaml", "profile: default\nrules:\n  cpu-limitz: {enabled: false}\n")
	d := s.diagnosticsAt(u, 1)
	if len(d) != 1 || d[0].Range.Start.Line != 2 || !strings.Contains(messageOf(d[0]), "cpu-limitz") {
		t.Fatalf("unknown rule in an open config file: %+v", d)
	}
	s.change(u, 2, partial(2, 11, 2, 12, "s"))
	if d := s.diagnosticsAt(u, 2); len(d) != 0 {
		t.Errorf("after fixing the rule id: %+v", d)
	}
}

// TestBadConfigurationIsBlamedRightly: an unknown rule in the settings is reported to the
// user, one in the file as a diagnostic at its key; the documents are checked either way.
func TestBadConfigurationIsBlamedRightly(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	config := filepath.Join(root, ".kube-policy.yaml")
	writeFile(t, config, "profile: default\nrules:\n  host-pidd: {enabled: false}\n")
	s := newSession(t, sessionOptions{root: root, initOpts: map[string]any{"rules": map[string]any{"cpu-limitz": map[string]any{"enabled": false}}}})
	u := uri.File(filepath.Join(root, "pod.yaml"))
	s.open(u, "yaml", podYAML)
	if d := s.diagnosticsAt(u, 1); !hasCode(d, "host-pid") {
		t.Errorf("documents are checked with the defaults: %v", codes(d))
	}
	s.client.waitFor(t, "a message about the settings", func() bool {
		return len(s.client.shown) > 0 && strings.Contains(strings.Join(s.client.shown, "\n"), "cpu-limitz")
	})
	cd := s.waitDiagnostics(uri.File(config), "a diagnostic on the unknown rule of the file", func(d []protocol.Diagnostic) bool { return len(d) > 0 })
	if len(cd) != 1 || cd[0].Range.Start.Line != 2 || !strings.Contains(messageOf(cd[0]), "host-pidd") {
		t.Errorf("config diagnostics %+v", cd)
	}
	// The file corrected: its diagnostic goes, and host-pid is disabled.
	writeFile(t, config, "profile: default\nrules:\n  host-pid: {enabled: false}\n")
	s.configFileChanged(config)
	s.waitDiagnostics(uri.File(config), "the file's diagnostic cleared", func(d []protocol.Diagnostic) bool { return len(d) == 0 })
	s.waitDiagnostics(u, "host-pid disabled by the corrected file", func(d []protocol.Diagnostic) bool { return !hasCode(d, "host-pid") && len(d) > 0 })
}

// TestEmptyConfigurationKeepsInitializationOptions: a client that answers workspace/configuration
// with nothing for kubePolicy (Neovim with init_options only) leaves the initializationOptions
// in force; once it has sent settings of its own, nothing means the user cleared them.
func TestEmptyConfigurationKeepsInitializationOptions(t *testing.T) {
	t.Parallel()
	caps := protocol.ClientCapabilities{Workspace: &protocol.WorkspaceClientCapabilities{Configuration: ptr(true)}}
	s := newSession(t, sessionOptions{caps: caps, initOpts: map[string]any{"profile": "pss-baseline", "debounceMs": 0}})
	waitLogged := func(msg string, n int) {
		t.Helper()
		deadline := time.Now().Add(waitTimeout)
		for s.logs.FilterMessageSnippet(msg).Len() < n {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for log %q", msg)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitLogged("the initializationOptions stay in force", 1) // the answer to the first request: null
	u := uri.File("/work/empty-config.yaml")
	s.open(u, "yaml", podYAML)
	if d := s.diagnosticsAt(u, 1); !hasCode(d, "host-pid") || hasCode(d, "cpu-limits") {
		t.Fatalf("pss-baseline from initializationOptions: %v", codes(d))
	}
	for i, answer := range []string{"{}", `{"kubePolicy": null}`} {
		s.client.mu.Lock()
		s.client.configuration = []byte(answer)
		s.client.mu.Unlock()
		s.notify(protocol.MethodWorkspaceDidChangeConfiguration, map[string]any{"settings": nil})
		waitLogged("the initializationOptions stay in force", i+2)
	}
	s.change(u, 2, partial(0, 0, 0, 0, "# v2\n"))
	if d := s.diagnosticsAt(u, 2); !hasCode(d, "host-pid") || hasCode(d, "cpu-limits") {
		t.Fatalf("pss-baseline after empty answers: %v", codes(d))
	}

	s.client.mu.Lock()
	s.client.configuration = []byte(`{"profile": "pss-restricted"}`)
	s.client.mu.Unlock()
	s.notify(protocol.MethodWorkspaceDidChangeConfiguration, map[string]any{"settings": nil})
	s.waitDiagnostics(u, "pss-restricted from the client's settings", func(d []protocol.Diagnostic) bool {
		return hasCode(d, "run-as-non-root") && !hasCode(d, "cpu-limits")
	})
	s.client.mu.Lock()
	s.client.configuration = []byte(`{}`)
	s.client.mu.Unlock()
	s.notify(protocol.MethodWorkspaceDidChangeConfiguration, map[string]any{"settings": nil})
	s.waitDiagnostics(u, "the default profile once the user cleared the settings", func(d []protocol.Diagnostic) bool {
		return hasCode(d, "cpu-limits")
	})
}

// TestLastGoodEngineStays: a configuration file that parses but does not build an engine (an
// unknown rule) leaves the last engine built in force, not the defaults.
func TestLastGoodEngineStays(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	config := filepath.Join(root, ".kube-policy.yaml")
	writeFile(t, config, "rules:\n  host-pid: {severity: low}\n")
	s := newSession(t, sessionOptions{root: root, initOpts: map[string]any{"debounceMs": 0}})
	u := uri.File(filepath.Join(root, "pod.yaml"))
	s.open(u, "yaml", podYAML)
	if h, _ := find(s.diagnosticsAt(u, 1), "host-pid"); h.Severity != protocol.DiagnosticSeverityInformation {
		t.Fatalf("host-pid severity %v, want information (low)", h.Severity)
	}
	writeFile(t, config, "rules:\n  host-pid: {severity: critical}\n  no-such-rule: {enabled: false}\n")
	s.configFileChanged(config)
	cd := s.waitDiagnostics(uri.File(config), "the unknown rule at its key", func(d []protocol.Diagnostic) bool { return len(d) > 0 })
	if len(cd) != 1 || cd[0].Range.Start.Line != 2 {
		t.Errorf("config diagnostics %+v", cd)
	}
	s.change(u, 2, partial(0, 0, 0, 0, "# v2\n"))
	if h, _ := find(s.diagnosticsAt(u, 2), "host-pid"); h.Severity != protocol.DiagnosticSeverityInformation {
		t.Errorf("host-pid severity %v: the last good engine (low) is not in force", h.Severity)
	}
}
