package lsp

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.lsp.dev/protocol"

	"github.com/kube-policy-ls/kube-policy-ls/internal/testtree"
)

// Helpers of the chart tests: small charts written to disk and lookups in diagnostics.

// smallChart is a chart whose one pod is privileged when values.yaml says so (line 1), its
// template's line 10 writing the flag.
func smallChart(name string) map[string]string {
	return map[string]string{
		"Chart.yaml":  "apiVersion: v2\nname: " + name + "\nversion: 0.1.0\n",
		"values.yaml": "privileged: true\nimage: nginx:1.27\n",
		"templates/pod.yaml": `apiVersion: v1
kind: Pod
metadata:
  name: {{ .Release.Name }}-` + name + `
spec:
  containers:
    - name: app
      image: {{ .Values.image }}
      securityContext:
        privileged: {{ .Values.privileged }}
`,
	}
}

// copyTree copies the directory src to dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func readText(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// hasCodeAt reports whether diags have code at 0-based line.
func hasCodeAt(diags []protocol.Diagnostic, code string, line uint32) bool {
	for _, d := range diags {
		if d.Code == protocol.String(code) && d.Range.Start.Line == line {
			return true
		}
	}
	return false
}

func findAt(t *testing.T, diags []protocol.Diagnostic, code string, line uint32) protocol.Diagnostic {
	t.Helper()
	for _, d := range diags {
		if d.Code == protocol.String(code) && d.Range.Start.Line == line {
			return d
		}
	}
	t.Fatalf("no %s at line %d in %v", code, line+1, codes(diags))
	return protocol.Diagnostic{}
}

// grafanaInsecure is an insecure values overlay for the shared grafana chart.
const grafanaInsecure = `securityContext: {runAsUser: 0, runAsNonRoot: false}
containerSecurityContext: {privileged: true, capabilities: {add: [SYS_ADMIN]}}
`

func (s *session) assemblyStats(root string) assemblyStats {
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	if a := s.srv.assemblies[root]; a != nil {
		return a.stats
	}
	return assemblyStats{}
}

// hostPIDChart writes smallChart("a") under root with hostPID: true written as literal text
// in its template (a finding with a template fix), and returns its files.
func hostPIDChart(t *testing.T, root string) map[string]string {
	files := smallChart("a")
	files["templates/pod.yaml"] = strings.Replace(files["templates/pod.yaml"], "spec:\n", "spec:\n  hostPID: true\n", 1)
	testtree.Write(t, root, files)
	return files
}
