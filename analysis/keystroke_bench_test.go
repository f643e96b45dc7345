package analysis

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kube-policy-ls/kube-policy-ls/internal/shareddata"
)

// benchTyping types a character at the end of each of the anchors in a corpus file (before a
// final line break) and deletes it again, round-robin, with Reanalyze and Compact as the
// language server does per keystroke.
func benchTyping(b *testing.B, file string, anchors ...string) {
	data, err := os.ReadFile(filepath.Join(shareddata.Path(b, "corpus"), "corpus", file))
	if err != nil {
		b.Skip(err)
	}
	e := newTestEngine(b, Config{})
	ctx := context.Background()
	prev, err := e.Analyze(ctx, Input{Text: string(data)}, nil)
	if err != nil {
		b.Fatal(err)
	}
	var sites []int
	for _, a := range anchors {
		at := strings.Index(string(data), a)
		if at < 0 {
			b.Fatalf("%s: no %q", file, a)
		}
		sites = append(sites, at+len(strings.TrimSuffix(a, "\n")))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		at := sites[(i/2)%len(sites)]
		ins, del := "x", 0
		if i%2 == 1 {
			ins, del = "", 1
		}
		m, err := prev.Mapper.Replace(at, at+del, ins)
		if err != nil {
			b.Fatal(err)
		}
		if prev, err = e.Reanalyze(ctx, Input{Text: m.Text()}, m, prev); err != nil {
			b.Fatal(err)
		}
		prev.Compact()
	}
}

const grafana = "prometheus-operator__kube-prometheus/manifests__grafana-deployment.yaml"

// Fields no default rule reads: the image, a label, a volume mount's path.
func BenchmarkTypeUnreadField(b *testing.B) {
	benchTyping(b, grafana, "image: grafana/grafana:13.1", "app.kubernetes.io/version: 13.1", "mountPath: /tm")
}

// Fields rules read: a container's name (quoted by findings), a resource limit.
func BenchmarkTypeReadField(b *testing.B) {
	benchTyping(b, grafana, "        name: grafan", "cpu: 200")
}

// A description in the 23,482-line CRD of argo-cd's ha/install.yaml: no rule reads CRDs.
func BenchmarkTypeCRDDescription(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(shareddata.Path(b, "corpus"), "corpus", "argoproj__argo-cd/manifests__ha__install.yaml"))
	if err != nil {
		b.Skip(err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	for i, l := range lines {
		if i > 1000 && strings.Contains(l, "description:") {
			benchTyping(b, "argoproj__argo-cd/manifests__ha__install.yaml", strings.Join(lines[:i], "")+strings.TrimRight(l, "\r\n"))
			return
		}
	}
	b.Fatal("no CRD description")
}
