package lsp

import (
	"path/filepath"
	"testing"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/kube-policy-ls/kube-policy-ls/internal/testtree"
)

// TestChartValuesKeyHelmMisreads: a key typed into values.yaml (unsaved) that Helm reads as a
// boolean gets a warning at the key; quoted, the warning goes.
func TestChartValuesKeyHelmMisreads(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	testtree.Write(t, root, smallChart("a"))
	s := newSession(t, sessionOptions{root: root})
	vu := uri.File(filepath.Join(root, "values.yaml"))
	s.open(vu, "yaml", "privileged: false\nimage: nginx:1.27\nno: 3\n")
	d := s.diagnosticsAt(vu, 1)
	got := findAt(t, d, "helm-values-key", 2)
	if got.Severity != protocol.DiagnosticSeverityWarning || got.Range.Start.Character != 0 || got.Range.End.Character != 2 {
		t.Errorf("helm-values-key diagnostic %+v, want a warning over `no`", got)
	}
	s.change(vu, 2, whole("privileged: false\nimage: nginx:1.27\n\"no\": 3\n"))
	if d := s.diagnosticsAt(vu, 2); hasCode(d, "helm-values-key") {
		t.Errorf("the quoted key is still reported: %v", codes(d))
	}
}
