package analysis

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/kube-policy-ls/kube-policy-ls/internal/shareddata"
)

// largeFileResult analyses the corpus's 35,780-line file.
func largeFileResult(b *testing.B) *Result {
	b.Helper()
	data, err := os.ReadFile(filepath.Join(shareddata.Path(b, "corpus"), "corpus", "argoproj__argo-cd", "manifests__ha__install.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	res, err := newTestEngine(b, Config{}).Analyze(context.Background(), Input{Text: string(data)}, nil)
	if err != nil {
		b.Fatal(err)
	}
	return res
}

// BenchmarkFixEditsLargeFile computes the quick fix of every fixable finding of the
// 35,780-line file, one at a time (what a code action request computes for the findings under
// the cursor); ns/op is for all of them, per-fix-ms for one.
func BenchmarkFixEditsLargeFile(b *testing.B) {
	res := largeFileResult(b)
	n := 0
	for b.Loop() {
		n = 0
		for _, f := range res.Findings {
			if f.Fixable() {
				if _, err := res.FixEdits(f); err != nil {
					b.Fatal(err)
				}
				n++
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N*n), "per-fix-ms")
}

// BenchmarkFixAllLargeFile is fix-all on the 35,780-line file (source.fixAll, check --fix).
func BenchmarkFixAllLargeFile(b *testing.B) {
	res := largeFileResult(b)
	for b.Loop() {
		if rep := res.FixAll(nil); len(rep.Failed) > 0 || rep.Fixed == 0 {
			b.Fatalf("fixed %d, failed %d", rep.Fixed, len(rep.Failed))
		}
	}
}
