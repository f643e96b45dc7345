package kustomize

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
	"github.com/kube-policy-ls/kube-policy-ls/internal/kustomizetest"
	"github.com/kube-policy-ls/kube-policy-ls/internal/testtree"
)

// TestPlacement checks every finding of the overlay: each must be placed on the line of the
// patch, transformer entry or base resource that set its field (or owns the missing field).
func TestPlacement(t *testing.T) {
	dir := testtree.Write(t, t.TempDir(), overlayTree)
	_, c := buildCheck(t, filepath.Join(dir, "prod"), newEngine(t, "all"), nil)
	if len(c.Findings) == 0 {
		t.Fatal("no findings")
	}
	// where each rule's finding must be, for the app container: file and a text of the line
	want := map[string][2]string{
		"privileged-container":       {"prod/privileged.yaml", "privileged: true"},
		"host-network":               {"prod/hostnet.yaml", "value: true"},
		"allow-privilege-escalation": {"prod/kustomization.yaml", "value: true"},
		"host-ipc":                   {"prod/kustomization.yaml", "hostIPC: true"},
		"host-pid":                   {"comp/pid.yaml", "hostPID: true"},
		"image-latest-tag":           {"prod/kustomization.yaml", "newTag: latest"},
		// a missing field that a JSON 6902 operation removed: the operation
		"capabilities-drop-all": {"prod/hostnet.yaml", "- op: remove"},
		"liveness-probe":        {"base/deploy.yaml", "- name: app"},
		"readiness-probe":       {"base/deploy.yaml", "- name: app"},
	}
	seen := map[string]bool{}
	for _, f := range c.Findings {
		rel := filepath.ToSlash(strings.TrimPrefix(f.At.File, dir+string(filepath.Separator)))
		line := lineOf(t, f.At.File, f.At.Line)
		where := fmt.Sprintf("%s (%v) at %s:%d %q", f.Rule, f.Path, rel, f.At.Line, line)
		if slices.Contains(f.Path, any(1)) { // the sidecar the strategic-merge patch adds
			if rel != "prod/privileged.yaml" || !strings.Contains(line, "sidecar") && !strings.Contains(line, "busybox") {
				t.Errorf("%s: want the sidecar in prod/privileged.yaml", where)
			}
			seen["sidecar"] = true
			continue
		}
		w, ok := want[f.Rule]
		if !ok {
			t.Errorf("unexpected finding %s", where)
			continue
		}
		if rel != w[0] || !strings.Contains(line, w[1]) {
			t.Errorf("%s: want %s on the line with %q", where, w[0], w[1])
		}
		if f.At.Column < 1 || f.At.EndLine < f.At.Line {
			t.Errorf("%s: bad range %+v", where, f.At)
		}
		seen[f.Rule] = true
	}
	for rule := range want {
		if !seen[rule] {
			t.Errorf("no %s finding", rule)
		}
	}
	if !seen["sidecar"] {
		t.Error("no finding on the sidecar the patch adds")
	}
}

// TestPlacementTransformers places fields that no rule reports but transformers write:
// replicas, the name (namePrefix), and, without transformers, the base line.
func TestPlacementTransformers(t *testing.T) {
	dir := testtree.Write(t, t.TempDir(), overlayTree)
	b, _ := buildCheck(t, filepath.Join(dir, "prod"), newEngine(t, "default"), nil)
	i := slices.IndexFunc(b.Objects, func(o *Object) bool { return o.Kind == "Deployment" })
	if i < 0 || b.Objects[i].Name != "prod-web" || b.Objects[i].OrigName != "web" {
		t.Fatalf("no Deployment prod-web from web: %+v", b.Objects)
	}
	for _, c := range []struct {
		path []any
		file string
		text string
	}{
		{[]any{"spec", "replicas"}, "prod/kustomization.yaml", "count: 3"},
		{[]any{"metadata", "name"}, "prod/kustomization.yaml", "namePrefix: prod-"},
		{[]any{"spec", "selector", "matchLabels", "app"}, "base/deploy.yaml", "matchLabels"},
		{[]any{"spec", "template", "spec", "containers", 0, "imagePullPolicy"}, "base/deploy.yaml", "imagePullPolicy: Always"},
		// a missing field: its owner in the base, though a patch wrote into the container
		{[]any{"spec", "template", "spec", "containers", 0, "securityContext", "seLinuxOptions"}, "base/deploy.yaml", "- name: app"},
		// a missing field of a container that a patch added: the patch
		{[]any{"spec", "template", "spec", "containers", 1, "securityContext"}, "prod/privileged.yaml", "- name: sidecar"},
	} {
		f := b.place(analysis.Finding{Rule: "test", Doc: i, Path: c.path})
		rel := filepath.ToSlash(strings.TrimPrefix(f.At.File, dir+string(filepath.Separator)))
		if line := lineOf(t, f.At.File, f.At.Line); rel != c.file || !strings.Contains(line, c.text) {
			t.Errorf("%v: placed at %s:%d %q, want %s on the line with %q", c.path, rel, f.At.Line, line, c.file, c.text)
		}
	}
}

// TestUnsavedText builds with the editor's text in place of the disk's, and knows which
// files the overlay reads and which of them are fragments (kustomizations, patches).
func TestUnsavedText(t *testing.T) {
	dir := testtree.Write(t, t.TempDir(), overlayTree)
	patch := filepath.Join(dir, "prod", "privileged.yaml")
	read := func(path string) ([]byte, error) {
		if path == patch {
			return []byte(strings.Replace(overlayTree["prod/privileged.yaml"], "privileged: true", "privileged: false", 1)), nil
		}
		return os.ReadFile(path)
	}
	b, c := buildCheck(t, filepath.Join(dir, "prod"), newEngine(t, "default"), read)
	for _, f := range c.Findings {
		if f.Rule == "privileged-container" {
			t.Errorf("privileged-container from the disk's text at %s:%d", f.At.File, f.At.Line)
		}
	}
	for _, c := range []struct {
		file           string
		uses, fragment bool
	}{
		{"prod/privileged.yaml", true, true}, {"prod/hostnet.yaml", true, true}, {"comp/pid.yaml", true, true},
		{"comp/kustomization.yaml", true, true}, {"base/deploy.yaml", true, false}, {"base/other.yaml", false, false},
	} {
		p := filepath.Join(dir, filepath.FromSlash(c.file))
		if b.Uses(p) != c.uses || b.Fragment(p) != c.fragment {
			t.Errorf("%s: uses %v fragment %v, want %v %v", c.file, b.Uses(p), b.Fragment(p), c.uses, c.fragment)
		}
	}
}

// TestSuppressionThroughOverlay: a suppression comment in the base suppresses the finding in
// the build too (the built objects keep their comments); a suppression that one overlay makes
// unused is not reported by it (whether it is used is the file's own check to say).
func TestSuppressionThroughOverlay(t *testing.T) {
	files := kustomizetest.Base(strings.Replace(kustomizetest.Deployment, "        runAsUser: 10001\n",
		"        # kube-policy-ls ignore run-as-high-uid -- the image's user\n        runAsUser: 1000\n", 1))
	files["prod/kustomization.yaml"] = "resources:\n- ../base\npatches:\n- path: uid.yaml\n"
	files["prod/uid.yaml"] = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      securityContext:\n        runAsUser: 20000\n"
	dir := testtree.Write(t, t.TempDir(), files)
	e := newEngine(t, "default")
	_, base := buildCheck(t, filepath.Join(dir, "base"), e, nil)
	if len(base.Findings) != 0 || len(base.Suppressed) != 1 || base.Suppressed[0].Rule != "run-as-high-uid" {
		t.Errorf("base: findings %v, suppressed %v; want run-as-high-uid suppressed", base.Findings, base.Suppressed)
	}
	_, prod := buildCheck(t, filepath.Join(dir, "prod"), e, nil)
	if len(prod.Findings) != 0 {
		t.Errorf("prod: %+v, want nothing", prod.Findings)
	}
}
