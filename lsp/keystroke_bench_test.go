package lsp

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.lsp.dev/uri"
)

// BenchmarkKeystroke types into a Deployment of the largest multi-document corpus file, in
// process, and waits for each keystroke's diagnostics: the server's share of the latency that
// the harness (lsp/latency, make bench-lsp) measures over stdio.
func BenchmarkKeystroke(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(sharedDir(b), "corpus", "argoproj__argo-cd", "manifests__ha__install.yaml"))
	if err != nil {
		b.Skip(err)
	}
	s := newSession(b, sessionOptions{initOpts: map[string]any{"debounceMs": 0}})
	u := uri.File("/corpus/ha-install.yaml")
	s.open(u, "yaml", string(data))
	s.diagnosticsAt(u, 1)
	lines := strings.Split(string(data), "\n")
	line := -1
	for i := 33857; i < len(lines); i++ { // the argocd-repo-server container
		if strings.TrimSpace(lines[i]) == "name: argocd-repo-server" {
			line = i
			break
		}
	}
	if line < 0 {
		b.Skip("the corpus file changed")
	}
	col := uint32(len(lines[line]))
	b.ResetTimer()
	for i := range b.N {
		c := partial(uint32(line), col, uint32(line), col, "x")
		if i%2 == 1 {
			c = partial(uint32(line), col, uint32(line), col+1, "")
		}
		s.change(u, int32(i+2), c)
		s.diagnosticsAt(u, int32(i+2))
	}
}
