package kustomize

import (
	"context"
	"testing"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
)

// BenchmarkRebuildShared is what a keystroke in a shared base file costs: every overlay of
// the microservices-demo that uses it rebuilt and checked (5 overlays, 11 to 49 objects each).
func BenchmarkRebuildShared(b *testing.B) {
	demo := sharedDemo(b)
	roots, err := Roots(demo, nil)
	if err != nil {
		b.Fatal(err)
	}
	e := newEngine(b, "default")
	ctx := context.Background()
	// the server keeps each overlay's last result: a keystroke changes a document or two
	prev := make([]*analysis.Result, len(roots))
	b.ReportAllocs()
	for b.Loop() {
		for i, root := range roots {
			built, err := Build(ctx, root, Options{})
			if err != nil {
				b.Fatal(err)
			}
			c, err := built.Check(ctx, e, prev[i])
			if err != nil {
				b.Fatal(err)
			}
			prev[i] = c.Result
		}
	}
}

// BenchmarkRebuildOne is one overlay of the demo with every component it tests.
func BenchmarkRebuildOne(b *testing.B) {
	root := sharedDemo(b) + "/tests/memorystore-with-all-components"
	e := newEngine(b, "default")
	ctx := context.Background()
	var prev *analysis.Result
	b.ReportAllocs()
	for b.Loop() {
		built, err := Build(ctx, root, Options{})
		if err != nil {
			b.Fatal(err)
		}
		c, err := built.Check(ctx, e, prev)
		if err != nil {
			b.Fatal(err)
		}
		prev = c.Result
	}
}
