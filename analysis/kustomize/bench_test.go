package kustomize

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
	"github.com/kube-policy-ls/kube-policy-ls/internal/testtree"
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

// BenchmarkNearbyDemo is what opening a base of the microservices-demo outside every
// workspace folder adds before its overlays are loaded: the kustomization above it found and
// its parent walked for overlay roots.
func BenchmarkNearbyDemo(b *testing.B) {
	file := filepath.Join(sharedDemo(b), "base", "cartservice.yaml")
	b.ReportAllocs()
	for b.Loop() {
		if roots, cut := NearbyOf(file, "").Roots(nil, NearbyMaxDirs); len(roots) == 0 || cut {
			b.Fatalf("roots %v cut %v", roots, cut)
		}
	}
}

// BenchmarkNearbyCut is the bound on that cost: a kustomization whose parent holds 4000
// directories (a monorepo's top), the walk stopped at the editor's limit (NearbyMaxDirs).
func BenchmarkNearbyCut(b *testing.B) {
	dir := b.TempDir()
	files := map[string]string{"app/kustomization.yaml": "resources: []\n", "app/deploy.yaml": ""}
	for i := range 4000 {
		files[fmt.Sprintf("d%02d/e%03d/x", i/100, i%100)] = ""
	}
	testtree.Write(b, dir, files)
	file := filepath.Join(dir, "app", "deploy.yaml")
	b.ReportAllocs()
	for b.Loop() {
		if roots, cut := NearbyOf(file, "").Roots(nil, NearbyMaxDirs); len(roots) != 1 || !cut {
			b.Fatalf("roots %v cut %v", roots, cut)
		}
	}
}
