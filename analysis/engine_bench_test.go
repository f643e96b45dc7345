package analysis

import (
	"context"
	"testing"
)

// BenchmarkNewEngine is building an engine, which the language server waits for before its
// first diagnostics (start-up budget 100 ms to the initialize reply), per profile; "+first"
// adds the first analysis of a typical Deployment, which pays for any query prepared on first
// use.
func BenchmarkNewEngine(b *testing.B) {
	ctx := context.Background()
	if _, err := builtin(); err != nil { // parsed once per process, as in the server
		b.Fatal(err)
	}
	for _, profile := range []string{"default", "all"} {
		b.Run(profile, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				newTestEngine(b, Config{Profile: profile})
			}
		})
		b.Run(profile+"+first", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				e := newTestEngine(b, Config{Profile: profile})
				if _, err := e.Analyze(ctx, Input{Text: typicalDeployment}, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAnalyzeCorpusAll is BenchmarkAnalyzeCorpus under the all profile, whose rules read
// RBAC objects, Services, Ingresses and ConfigMaps besides the workloads.
func BenchmarkAnalyzeCorpusAll(b *testing.B) {
	files := corpusFiles(b)
	e := newTestEngine(b, Config{Profile: "all"})
	ctx := context.Background()
	size := 0
	for _, t := range files {
		size += len(t)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		for p, t := range files {
			if _, err := e.Analyze(ctx, Input{Path: p, Text: t}, nil); err != nil {
				b.Fatal(err)
			}
		}
	}
}
