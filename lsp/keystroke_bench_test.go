package lsp

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.lsp.dev/uri"

	"github.com/kube-policy-ls/kube-policy-ls/internal/shareddata"
)

// BenchmarkKeystroke types into a container's name, in process, and waits for each
// keystroke's diagnostics: the server's share of the latency that the harness (tools/latency,
// make bench-lsp) measures over stdio.
func BenchmarkKeystroke(b *testing.B) {
	for _, bc := range []struct{ name, file, line string }{
		{"typical-294-lines", "prometheus-operator__kube-prometheus/manifests__grafana-deployment.yaml", "        name: grafana"},
		{"35780-lines", "argoproj__argo-cd/manifests__ha__install.yaml", "        name: argocd-repo-server"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			data, err := os.ReadFile(filepath.Join(shareddata.Path(b, "corpus"), "corpus", bc.file))
			if err != nil {
				b.Skip(err)
			}
			lines := strings.Split(string(data), "\n")
			line := slices.Index(lines, bc.line) // the container's name
			if line < 0 {
				b.Skip("the corpus file changed")
			}
			s := newSession(b, sessionOptions{initOpts: map[string]any{"debounceMs": 0}})
			u := uri.File("/corpus/" + bc.file)
			s.open(u, "yaml", string(data))
			s.diagnosticsAt(u, 1)
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
		})
	}
}
