package lsp

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/kube-policy-ls/kube-policy-ls/internal/testtree"
)

// pullCaps are the capabilities of a client that pulls diagnostics.
var pullCaps = protocol.ClientCapabilities{TextDocument: &protocol.TextDocumentClientCapabilities{Diagnostic: &protocol.DiagnosticClientCapabilities{}}}

// pullWorkspace sends workspace/diagnostic with the previous result ids and returns the
// reports by URI: the full ones' diagnostics, and the unchanged ones as nil in unchanged.
func (s *session) pullWorkspace(previous map[uri.URI]string) (full map[uri.URI]*protocol.WorkspaceFullDocumentDiagnosticReport, unchanged map[uri.URI]bool) {
	s.t.Helper()
	p := &protocol.WorkspaceDiagnosticParams{PreviousResultIds: []protocol.PreviousResultId{}}
	for u, id := range previous {
		p.PreviousResultIds = append(p.PreviousResultIds, protocol.PreviousResultId{URI: u, Value: id})
	}
	rep, err := s.server.DiagnosticWorkspace(s.ctx(), p)
	if err != nil {
		s.t.Fatalf("workspace/diagnostic: %v", err)
	}
	full, unchanged = map[uri.URI]*protocol.WorkspaceFullDocumentDiagnosticReport{}, map[uri.URI]bool{}
	for _, item := range rep.Items {
		switch r := item.(type) {
		case *protocol.WorkspaceFullDocumentDiagnosticReport:
			full[r.URI] = r
		case *protocol.WorkspaceUnchangedDocumentDiagnosticReport:
			unchanged[r.URI] = true
		default:
			s.t.Fatalf("report %T", item)
		}
	}
	return full, unchanged
}

// TestWorkspaceDiagnosticsOfUnopenedChartFiles: a client that pulls, with a chart's template
// open, gets the finding its values file causes on values.yaml from workspace/diagnostic; the
// same report again is unchanged; fixed on disk, it gets an empty report once, then none.
func TestWorkspaceDiagnosticsOfUnopenedChartFiles(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	testtree.Write(t, root, smallChart("a"))
	tpl, values := filepath.Join(root, "templates", "pod.yaml"), uri.File(filepath.Join(root, "values.yaml"))
	s := newSession(t, sessionOptions{root: root, caps: pullCaps, initOpts: map[string]any{"debounceMs": 0}})
	s.open(uri.File(tpl), "helm", readText(t, tpl))
	if d := s.pull(uri.File(tpl)).Items; !hasCodeAt(d, "privileged-container", 9) {
		t.Fatalf("template: %v", codes(d))
	}
	full, _ := s.pullWorkspace(nil)
	if r := full[values]; r == nil || !hasCodeAt(r.Items, "privileged-container", 0) || r.Version != nil || len(full) != 1 {
		t.Fatalf("workspace reports %+v: want values.yaml's finding alone, with no version", full)
	}
	if _, open := full[uri.File(tpl)]; open {
		t.Error("the open template is reported in the workspace too")
	}
	id := *full[values].ResultID
	if full, unchanged := s.pullWorkspace(map[uri.URI]string{values: id}); !unchanged[values] || len(full) != 0 {
		t.Errorf("the same findings again: full %v, unchanged %v", full, unchanged)
	}

	testtree.Write(t, root, map[string]string{"values.yaml": "privileged: false\nimage: nginx:1.27\n"})
	s.notify(protocol.MethodWorkspaceDidChangeWatchedFiles, &protocol.DidChangeWatchedFilesParams{Changes: []protocol.FileEvent{{URI: values, Type: protocol.FileChangeTypeChanged}}})
	pollUntil(t, "the template's finding gone, pulled", func() bool { return !hasCode(s.pull(uri.File(tpl)).Items, "privileged-container") })
	full, _ = s.pullWorkspace(map[uri.URI]string{values: id})
	if r := full[values]; r == nil || len(r.Items) != 0 {
		t.Fatalf("after the fix: %+v, want values.yaml cleared", full)
	}
	if full, unchanged := s.pullWorkspace(map[uri.URI]string{values: *full[values].ResultID}); len(full) != 0 || len(unchanged) != 0 {
		t.Errorf("cleared already, yet reported: %v %v", full, unchanged)
	}
}

// TestWorkspaceDiagnosticsOfOverlayFiles: an overlay's finding on a patch that is not open is
// in the workspace report, joined as the push path joins it ("in overlay ...").
func TestWorkspaceDiagnosticsOfOverlayFiles(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	testtree.Write(t, root, twoOverlays())
	patch := uri.File(filepath.Join(root, "overlays", "a", "privileged.yaml"))
	s := overlaySession(t, sessionOptions{root: root, caps: pullCaps, initOpts: map[string]any{"debounceMs": 0}})
	base := uri.File(filepath.Join(root, "base", "deploy.yaml"))
	s.open(base, "yaml", overlayBase)
	var r *protocol.WorkspaceFullDocumentDiagnosticReport
	pollUntil(t, "the patch's finding in the workspace report", func() bool {
		full, _ := s.pullWorkspace(nil)
		r = full[patch]
		return r != nil && hasCode(r.Items, "privileged-container")
	})
	if d, _ := find(r.Items, "privileged-container"); !strings.Contains(messageOf(d), "overlays/a/") {
		t.Errorf("the patch's finding does not name its overlay: %q", messageOf(d))
	}
}

// pollUntil checks cond every 10 ms until it holds, for at most waitTimeout: for what the
// client pulls, which no notification announces.
func pollUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(waitTimeout); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
