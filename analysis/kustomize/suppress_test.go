package kustomize

import (
	"maps"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kube-policy-ls/kube-policy-ls/internal/testtree"
)

// TestCommentOnPlacedLine: a "# kube-policy-ls ignore" comment on the line a finding is placed
// on, or the line above, suppresses it when that line is a transformer entry or a JSON 6902
// operation (inline in the kustomization, or in a patch file), which no built object carries;
// a comment without a reason suppresses nothing.
func TestCommentOnPlacedLine(t *testing.T) {
	files := maps.Clone(overlayTree)
	k := files["prod/kustomization.yaml"]
	k = strings.Replace(k, "- name: nginx\n  newTag: latest\n", "- name: nginx\n  # kube-policy-ls ignore image-latest-tag -- the release job pins it\n  newTag: latest\n", 1)
	k = strings.Replace(k, "      value: true\n", "      value: true # kube-policy-ls ignore allow-privilege-escalation -- a debug build\n", 1)
	files["prod/kustomization.yaml"] = k
	files["prod/hostnet.yaml"] = strings.Replace(files["prod/hostnet.yaml"], "  value: true\n", "  value: true # kube-policy-ls ignore host-network\n", 1)
	dir := testtree.Write(t, t.TempDir(), files)
	kfile := filepath.Join(dir, "prod", "kustomization.yaml")
	_, c := buildCheck(t, filepath.Join(dir, "prod"), newEngine(t, "all"), nil)
	reasons := map[string]string{}
	for _, f := range c.Suppressed {
		if f.Suppressed.By == "comment" && f.At.File == kfile {
			reasons[f.Rule] = f.Suppressed.Reason
		}
	}
	want := map[string]string{"image-latest-tag": "the release job pins it", "allow-privilege-escalation": "a debug build"}
	if !maps.Equal(reasons, want) {
		t.Errorf("suppressed by comment in the kustomization: %v, want %v", reasons, want)
	}
	hostNetwork, invalid := false, false
	for _, f := range c.Findings {
		if f.At.File == kfile && (f.Rule == "image-latest-tag" || f.Rule == "allow-privilege-escalation") {
			t.Errorf("reported although suppressed: %s at line %d", f.Rule, f.At.Line)
		}
		hostNetwork = hostNetwork || f.Rule == "host-network"
		if f.Rule == "invalid-suppression" && strings.HasSuffix(f.At.File, "hostnet.yaml") && lineOf(t, f.At.File, f.At.Line) == "  value: true # kube-policy-ls ignore host-network" {
			invalid = strings.Contains(f.Message, "no reason")
		}
	}
	if !hostNetwork || !invalid {
		t.Errorf("a comment without a reason: host-network reported %v, invalid-suppression on its line %v (want both)", hostNetwork, invalid)
	}
}
