package kustomize

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/fix"
)

// TestFixWhereTheFieldLives applies every placed fix to the file it names (the patch that set
// the field, or the base), rebuilds, and expects those findings gone and no new one.
func TestFixWhereTheFieldLives(t *testing.T) {
	files := maps.Clone(overlayTree)
	files["base/deploy.yaml"] = strings.Replace(baseDeploy, "          readOnlyRootFilesystem: true\n", "", 1)
	dir := writeTree(t, t.TempDir(), files)
	root := filepath.Join(dir, "prod")
	e := newEngine(t, "default")
	_, before := buildCheck(t, root, e, nil)

	type docKey struct {
		file string
		doc  int
	}
	fixes := map[docKey][]fix.Fix{}
	fixedIn := map[string]bool{}
	var fixed []Finding
	for _, f := range before.Findings {
		if f.FixFile == "" {
			continue
		}
		k := docKey{f.FixFile, f.FixDoc}
		fixes[k] = append(fixes[k], f.Fix)
		fixedIn[filepath.ToSlash(strings.TrimPrefix(f.FixFile, dir+"/"))] = true
		fixed = append(fixed, f)
	}
	for _, want := range []string{"prod/privileged.yaml", "comp/pid.yaml", "base/deploy.yaml"} {
		if !fixedIn[want] {
			t.Errorf("no fix placed in %s (fixes in %v)", want, slices.Sorted(maps.Keys(fixedIn)))
		}
	}
	for k, fs := range fixes {
		data, err := os.ReadFile(k.file)
		if err != nil {
			t.Fatal(err)
		}
		edits, failed, err := analysis.FixDocument(string(data), k.doc, fs)
		if err != nil || len(failed) > 0 {
			t.Fatalf("fixing %s: %v %v", k.file, err, failed)
		}
		text, err := fix.ApplyEdits(string(data), edits)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(k.file, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, after := buildCheck(t, root, e, nil)
	for _, f := range after.Findings {
		if f.Rule == analysis.RuleKustomizeBuild {
			t.Errorf("the fixed overlay does not build: %s", f.Message)
			continue
		}
		if f.FixFile != "" || slices.ContainsFunc(fixed, func(g Finding) bool { return g.Rule == f.Rule && pathKey(g.Path) == pathKey(f.Path) }) {
			t.Errorf("after the fixes: %s %v at %s:%d", f.Rule, f.Path, f.At.File, f.At.Line)
		}
	}
	if len(after.Findings) >= len(before.Findings) {
		t.Errorf("%d findings before the fixes, %d after", len(before.Findings), len(after.Findings))
	}
}

func pathKey(p []any) string { return fmt.Sprint(p...) }
