package lsp

import (
	"path/filepath"
	"strings"
	"testing"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/kube-policy-ls/kube-policy-ls/internal/testtree"
)

// TestChartUnsavedTemplate: a template created in the editor and not saved is rendered with
// the chart (Helm lists the chart's files from disk): its privileged container is flagged on
// the line that writes it and on the values key; closed unsaved, it is gone from the render.
func TestChartUnsavedTemplate(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	files := smallChart("a")
	newTemplate := files["templates/pod.yaml"]
	// On disk, the chart's only template does not use the privileged value.
	files["templates/pod.yaml"] = strings.Replace(newTemplate, "{{ .Values.privileged }}", "false", 1)
	testtree.Write(t, root, files)
	s := newSession(t, sessionOptions{root: root})

	nu := uri.File(filepath.Join(root, "templates", "extra", "new.yaml"))
	vu := uri.File(filepath.Join(root, "values.yaml"))
	s.open(nu, "helm", strings.ReplaceAll(newTemplate, "-a", "-new"))
	if d := s.diagnosticsAt(nu, 1); !hasCodeAt(d, "privileged-container", 9) {
		t.Errorf("the unsaved template: %v, want privileged-container on line 10", codes(d))
	}
	d := s.waitDiagnostics(vu, "the values key", func(d []protocol.Diagnostic) bool { return hasCodeAt(d, "privileged-container", 0) })
	if vd, _ := find(d, "privileged-container"); !strings.Contains(messageOf(vd), "rendered into templates/extra/new.yaml:10") {
		t.Errorf("values diagnostic says %q", messageOf(vd))
	}

	if err := s.server.DidClose(s.ctx(), &protocol.DidCloseTextDocumentParams{TextDocument: protocol.TextDocumentIdentifier{URI: nu}}); err != nil {
		t.Fatal(err)
	}
	s.waitDiagnostics(vu, "the values key clean once the unsaved template is closed", func(d []protocol.Diagnostic) bool { return !hasCode(d, "privileged-container") })
}
