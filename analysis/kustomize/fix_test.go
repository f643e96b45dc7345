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
	"github.com/kube-policy-ls/kube-policy-ls/internal/kustomizetest"
	"github.com/kube-policy-ls/kube-policy-ls/internal/testtree"
)

// TestFixWhereTheFieldLives applies every placed fix to the file it names (the patch that set
// the field, or the base), rebuilds, and expects those findings gone and no new one.
func TestFixWhereTheFieldLives(t *testing.T) {
	files := maps.Clone(overlayTree)
	files["base/deploy.yaml"] = strings.Replace(kustomizetest.Deployment, "          readOnlyRootFilesystem: true\n", "", 1)
	dir := testtree.Write(t, t.TempDir(), files)
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

// TestPatchFix makes a base finding's fix in one overlay only: a new patch file listed in
// the overlay's kustomization. The overlay, rebuilt, no longer has the finding; the base
// and its other users still do.
func TestPatchFix(t *testing.T) {
	files := maps.Clone(overlayTree)
	files["base/deploy.yaml"] = strings.Replace(kustomizetest.Deployment, "          readOnlyRootFilesystem: true\n", "", 1)
	dir := testtree.Write(t, t.TempDir(), files)
	root := filepath.Join(dir, "prod")
	e := newEngine(t, "default")
	b, c := buildCheck(t, root, e, nil)
	i := slices.IndexFunc(c.Findings, func(f Finding) bool { return f.Rule == "read-only-root-filesystem" && f.By == ByResource })
	if i < 0 {
		t.Fatal("no read-only-root-filesystem finding on the base")
	}
	want := pathKey(c.Findings[i].Path)
	p, err := b.PatchFix(c.Findings[i])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p.File, []byte(p.Text), 0o644); err != nil {
		t.Fatal(err)
	}
	old, err := os.ReadFile(p.Kustomization)
	if err != nil {
		t.Fatal(err)
	}
	text, err := fix.ApplyEdits(string(old), p.Edits)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p.Kustomization, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	_, after := buildCheck(t, root, e, nil)
	for _, f := range after.Findings {
		if f.Rule == "read-only-root-filesystem" && pathKey(f.Path) == want || f.Rule == analysis.RuleKustomizeBuild {
			t.Errorf("after the patch %s:\n%s\nkustomization:\n%s\nstill: %s %s", filepath.Base(p.File), p.Text, text, f.Rule, f.Message)
		}
	}
	_, base := buildCheck(t, filepath.Join(dir, "base"), e, nil)
	if !slices.ContainsFunc(base.Findings, func(f Finding) bool { return f.Rule == "read-only-root-filesystem" }) {
		t.Error("the base lost its finding: the fix was to stay in the overlay")
	}
}

// TestListPatch lists a new patch in a kustomization: after the last entry of its patches,
// at their indentation, or as a new patches key.
func TestListPatch(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"resources:\n- ../base\n", "resources:\n- ../base\npatches:\n- path: p.yaml\n"},
		{"resources:\n- ../base", "resources:\n- ../base\npatches:\n- path: p.yaml\n"},
		{"patches:\n  - path: a.yaml\n    target: {kind: Deployment}\nimages: []\n", "patches:\n  - path: a.yaml\n    target: {kind: Deployment}\n  - path: p.yaml\nimages: []\n"},
		{"patches:\n- path: a.yaml", "patches:\n- path: a.yaml\n- path: p.yaml\n"},
	} {
		k := parseKustomization("/x/kustomization.yaml", []byte(c.in))
		got, err := fix.ApplyEdits(c.in, []fix.Edit{k.listPatch("p.yaml")})
		if err != nil || got != c.want {
			t.Errorf("%q: got %q (%v), want %q", c.in, got, err, c.want)
		}
	}
}
