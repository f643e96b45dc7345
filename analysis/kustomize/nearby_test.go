package kustomize

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/kube-policy-ls/kube-policy-ls/internal/kustomizetest"
	"github.com/kube-policy-ls/kube-policy-ls/internal/testtree"
)

// nearbyTree is app/ with a base and two overlays, a component, a sibling project other/
// with an overlay, and loose/ with no kustomization at all.
func nearbyTree(t *testing.T) string {
	files := map[string]string{}
	for name, text := range kustomizetest.Base(kustomizetest.Deployment) {
		files["app/"+name] = text
	}
	kustomizetest.AddPrivilegedOverlay(files, "app/overlays/prod")
	kustomizetest.AddPrivilegedOverlay(files, "app/overlays/staging")
	files["app/comp/kustomization.yaml"] = "kind: Component\n"
	files["app/.git/kustomization.yaml"] = "resources: []\n"
	files["other/kustomization.yaml"] = "resources: []\n"
	files["loose/deploy.yaml"] = kustomizetest.Deployment
	return testtree.Write(t, t.TempDir(), files)
}

// TestNearby: a base's scan is its parent (its sibling overlays), a patch's its overlay's
// parent (the overlay and its siblings); the file system's root and the home directory are
// never the scan, a file with no kustomization above it has none.
func TestNearby(t *testing.T) {
	t.Parallel()
	dir := nearbyTree(t)
	app := filepath.Join(dir, "app")
	cases := []struct {
		name, file, home string
		want             Nearby
		roots            []string
	}{
		{"base", "app/base/deploy.yaml", "", Nearby{Dir: filepath.Join(app, "base"), Scan: app},
			[]string{"app/base", "app/overlays/prod", "app/overlays/staging"}},
		{"patch", "app/overlays/prod/privileged.yaml", "", Nearby{Dir: filepath.Join(app, "overlays", "prod"), Scan: filepath.Join(app, "overlays")},
			[]string{"app/overlays/prod", "app/overlays/staging"}},
		{"parent is home", "other/x.yaml", dir, Nearby{Dir: filepath.Join(dir, "other"), Scan: filepath.Join(dir, "other")},
			[]string{"other"}},
		{"none", "loose/deploy.yaml", "", Nearby{}, nil},
	}
	for _, c := range cases {
		n := NearbyOf(filepath.Join(dir, filepath.FromSlash(c.file)), c.home)
		if n != c.want {
			t.Errorf("%s: NearbyOf = %+v, want %+v", c.name, n, c.want)
		}
		roots, cut := n.Roots(nil, 100)
		var rel []string
		for _, r := range roots {
			p, _ := filepath.Rel(dir, r)
			rel = append(rel, filepath.ToSlash(p))
		}
		if cut || !slices.Equal(rel, c.roots) {
			t.Errorf("%s: roots %v (cut %v), want %v", c.name, rel, cut, c.roots)
		}
	}
	if n := NearbyOf(filepath.Join(string(filepath.Separator), "kustomization-nowhere", "x.yaml"), ""); n != (Nearby{}) {
		t.Errorf("a file under the root with no kustomization: %+v", n)
	}
}

// TestNearbyCut: a walk that reaches its directory limit stops and says so, having walked the
// kustomization's own tree first.
func TestNearbyCut(t *testing.T) {
	t.Parallel()
	dir := nearbyTree(t)
	testtree.Write(t, dir, map[string]string{"app/aaa/b/c/d/e/f.txt": "", "app/aab/x.txt": ""})
	n := NearbyOf(filepath.Join(dir, "app", "overlays", "prod", "privileged.yaml"), "")
	roots, cut := n.Roots(nil, 1)
	if !cut || !slices.Equal(roots, []string{filepath.Join(dir, "app", "overlays", "prod")}) {
		t.Errorf("limit 1: roots %v cut %v, want the overlay's own root, cut", roots, cut)
	}
	n = NearbyOf(filepath.Join(dir, "app", "base", "deploy.yaml"), "")
	// app/ holds 12 directories: base, then app, aaa/b/c/d/e, aab, comp, overlays/prod, staging
	if roots, cut := n.Roots(nil, 5); !cut || !slices.Contains(roots, filepath.Join(dir, "app", "base")) || len(roots) != 1 {
		t.Errorf("limit 5: roots %v cut %v, want base alone, cut", roots, cut)
	}
	if _, cut := n.Roots(nil, 11); !cut {
		t.Error("limit 11 did not cut a walk of 12 directories")
	}
	if _, cut := n.Roots(nil, 12); cut {
		t.Error("limit 12 cut a walk of 12 directories")
	}
}
