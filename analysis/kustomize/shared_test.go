package kustomize

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
	"github.com/kube-policy-ls/kube-policy-ls/internal/shareddata"
)

func sharedDemo(t testing.TB) string {
	return filepath.Join(shareddata.Path(t, "kustomize/microservices-demo"), "kustomize", "microservices-demo")
}

// TestSharedDemo builds every overlay of the shared microservices-demo (its base, the top
// kustomization, and the tests that add components) and checks that each finding on a base
// file is the finding the base file has when checked alone, at the same line: merged, the
// overlays report one finding per (file, line, rule).
func TestSharedDemo(t *testing.T) {
	demo := sharedDemo(t)
	roots, err := Roots(demo, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(roots) != 5 {
		t.Fatalf("overlay roots %v, want the top, base and the 3 tests", roots)
	}
	e := newEngine(t, "default")
	var all []Finding
	var overlays []*Overlay
	for _, root := range roots {
		b, c := buildCheck(t, root, e, nil)
		if len(b.Problems) > 0 {
			t.Errorf("%s: %v", root, b.Problems)
		}
		if c.Objects == 0 {
			t.Errorf("%s: nothing built", root)
		}
		all, overlays = append(all, c.Findings...), append(overlays, b.Overlay)
	}
	plain := map[string]bool{}
	for _, dir := range []string{"base", "components/google-cloud-operations"} {
		files, _ := filepath.Glob(filepath.Join(demo, dir, "*.yaml"))
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			res, err := e.Analyze(context.Background(), analysis.Input{Path: file, Text: string(data)}, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range res.Findings {
				plain[fmt.Sprintf("%s:%d %s", file, res.Mapper.LineOf(f.Range.Start)+1, f.Rule)] = true
			}
		}
	}
	merged := Merge(all, overlays)
	if len(merged) == 0 || len(merged) >= len(all) {
		t.Fatalf("%d findings over the overlays, %d merged", len(all), len(merged))
	}
	seen := map[string]bool{}
	for _, f := range merged {
		key := fmt.Sprintf("%s:%d %s", f.At.File, f.At.Line, f.Rule)
		if seen[key] {
			t.Errorf("reported twice: %s", key)
		}
		seen[key] = true
		if !plain[key] {
			t.Errorf("%s (overlays %v): not where the file checked alone has it", key, f.Overlays)
		}
		// the memorystore and spanner components delete redis-cart (in cartservice.yaml):
		// its findings are in the other 3 overlays, every other base finding in all 5
		redis := strings.HasSuffix(f.At.File, "cartservice.yaml") && f.Object.Name == "redis-cart"
		switch {
		case strings.Contains(f.At.File, "/base/") && !redis && len(f.Overlays) != 5,
			redis && (len(f.Overlays) != 3 || strings.Contains(strings.Join(f.Overlays, " "), "memorystore")):
			t.Errorf("%s (%s): in overlays %v", key, f.Object, f.Overlays)
		}
	}
	for key := range plain {
		if !seen[key] {
			t.Errorf("%s: the file alone has it, no overlay does", key)
		}
	}
}
