package kustomize

import (
	"context"
	"testing"
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
	b.ReportAllocs()
	for b.Loop() {
		for _, root := range roots {
			built, err := Build(ctx, root, Options{})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := built.Check(ctx, e); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkRebuildOne is one overlay of the demo with every component it tests.
func BenchmarkRebuildOne(b *testing.B) {
	root := sharedDemo(b) + "/tests/memorystore-with-all-components"
	e := newEngine(b, "default")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		built, err := Build(ctx, root, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := built.Check(ctx, e); err != nil {
			b.Fatal(err)
		}
	}
}
