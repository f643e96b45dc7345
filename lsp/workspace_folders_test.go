package lsp

import (
	"path/filepath"
	"testing"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"
)

// TestWorkspaceFoldersChange: the configuration of a document is looked up no further up than
// its workspace folder, and folders come and go with workspace/didChangeWorkspaceFolders.
//
//	parent/.kube-policy.yaml   disables host-pid
//	parent/a/pod.yaml          a folder from the start: not governed by the parent's file
//	parent/b/pod.yaml          outside every folder: governed by it, until b becomes a folder
func TestWorkspaceFoldersChange(t *testing.T) {
	t.Parallel()
	parent := t.TempDir()
	a, b := filepath.Join(parent, "a"), filepath.Join(parent, "b")
	writeFile(t, filepath.Join(parent, ".kube-policy.yaml"), "rules:\n  host-pid: {enabled: false}\n")
	s := newSession(t, sessionOptions{root: a, initOpts: map[string]any{"debounceMs": 0}})
	wf := s.init.Capabilities.Workspace
	if wf == nil || wf.WorkspaceFolders == nil || !isTrue(wf.WorkspaceFolders.Supported) || wf.WorkspaceFolders.ChangeNotifications != protocol.Boolean(true) {
		t.Errorf("workspace folders capability: %+v", wf)
	}
	ua, ub := uri.File(filepath.Join(a, "pod.yaml")), uri.File(filepath.Join(b, "pod.yaml"))
	s.open(ua, "yaml", podYAML)
	s.open(ub, "yaml", podYAML)
	if d := s.diagnosticsAt(ua, 1); !hasCode(d, "host-pid") {
		t.Errorf("in folder a, the parent's configuration applies: %v", codes(d))
	}
	if d := s.diagnosticsAt(ub, 1); hasCode(d, "host-pid") || len(d) == 0 {
		t.Errorf("outside every folder, the parent's configuration does not apply: %v", codes(d))
	}

	s.notify(protocol.MethodWorkspaceDidChangeWorkspaceFolders, &protocol.DidChangeWorkspaceFoldersParams{Event: protocol.WorkspaceFoldersChangeEvent{
		Added:   []protocol.WorkspaceFolder{{URI: uri.File(b), Name: "b"}},
		Removed: []protocol.WorkspaceFolder{{URI: uri.File(a), Name: "a"}},
	}})
	s.waitDiagnostics(ub, "folder b no longer governed by the parent's file", func(d []protocol.Diagnostic) bool { return hasCode(d, "host-pid") })
	s.waitDiagnostics(ua, "a, now outside every folder, governed by it", func(d []protocol.Diagnostic) bool { return !hasCode(d, "host-pid") && len(d) > 0 })
	s.srv.mu.Lock()
	roots := s.srv.ws.Folders()
	s.srv.mu.Unlock()
	if len(roots) != 1 || roots[0] != b {
		t.Errorf("roots %v, want [%s]", roots, b)
	}
}
