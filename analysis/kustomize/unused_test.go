package kustomize

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
	"github.com/kube-policy-ls/kube-policy-ls/internal/kustomizetest"
	"github.com/kube-policy-ls/kube-policy-ls/internal/testtree"
)

// suppressionFindings lists the unused- and invalid-suppression findings of fs as
// "file:line:column-endColumn rule overlays", the file relative to dir.
func suppressionFindings(dir string, fs []Finding) []string {
	var out []string
	for _, f := range fs {
		if f.Rule != analysis.RuleUnusedSuppression && f.Rule != analysis.RuleInvalidSuppression {
			continue
		}
		var roots []string
		for _, o := range f.Overlays {
			roots = append(roots, relTo(dir, o))
		}
		out = append(out, fmt.Sprintf("%s:%d:%d-%d %s %s", relTo(dir, f.At.File), f.At.Line, f.At.Column, f.At.EndColumn, f.Rule, strings.Join(roots, ",")))
	}
	slices.Sort(out)
	return out
}

// TestUnusedFragmentComments: in a patch file and in the kustomization, a comment that
// suppresses a placed finding is used, one naming a rule with no finding on its line or the
// line below is an unused-suppression at the comment (columns in code points), one naming a
// disabled rule is waiting, and one that is not valid is an invalid-suppression wherever it
// is, reported once.
func TestUnusedFragmentComments(t *testing.T) {
	files := kustomizetest.Base(kustomizetest.Deployment)
	kustomizetest.AddPrivilegedOverlay(files, "prod")
	patch := strings.Replace(kustomizetest.PrivilegedPatch, "        securityContext:\n",
		"        securityContext: # kube-policy-ls ignore host-pid -- héé not here\n"+
			"          # kube-policy-ls ignore privileged-container -- a debug build\n", 1)
	patch = strings.Replace(patch, "kind: Deployment\n", "kind: Deployment # kube-policy-ls ignore no-such-rule -- far from any finding\n", 1)
	patch = strings.Replace(patch, "  name: web\n", "  name: web # kube-policy-ls ignore host-network -- a disabled rule\n", 1)
	files["prod/privileged.yaml"] = patch
	files["prod/kustomization.yaml"] += "# kube-policy-ls ignore host-ipc -- nothing to suppress\n" +
		"images:\n- name: nginx\n  # kube-policy-ls ignore image-latest-tag -- the release job pins it\n  newTag: latest\n" +
		"replicas: # kube-policy-ls ignore image-latest-tag\n- name: web\n  count: 2\n"
	dir := testtree.Write(t, t.TempDir(), files)
	off := false
	e, err := analysis.NewEngine(context.Background(), analysis.Config{Profile: "all", Rules: map[string]analysis.RuleConfig{"host-network": {Enabled: &off}}})
	if err != nil {
		t.Fatal(err)
	}
	b, c := buildCheck(t, filepath.Join(dir, "prod"), e, nil)
	pline := "        securityContext: # kube-policy-ls ignore host-pid -- héé not here"
	col := strings.Index(pline, "#") + 1
	const kline = 5 // the first line added to the overlay's kustomization of 4 lines
	want := []string{
		fmt.Sprintf("prod/kustomization.yaml:%d:1-%d unused-suppression prod", kline, len("# kube-policy-ls ignore host-ipc -- nothing to suppress")+1),
		fmt.Sprintf("prod/kustomization.yaml:%d:11-%d invalid-suppression prod", kline+5, len("replicas: # kube-policy-ls ignore image-latest-tag")+1),
		fmt.Sprintf("prod/privileged.yaml:2:18-%d invalid-suppression prod", len("kind: Deployment # kube-policy-ls ignore no-such-rule -- far from any finding")+1),
		fmt.Sprintf("prod/privileged.yaml:10:%d-%d unused-suppression prod", col, utf8.RuneCountInString(pline)+1),
	}
	slices.Sort(want)
	if got := suppressionFindings(dir, c.Findings); !slices.Equal(got, want) {
		t.Errorf("suppression findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var suppressed []string
	for _, f := range c.Suppressed {
		suppressed = append(suppressed, f.Rule)
	}
	slices.Sort(suppressed)
	if !slices.Equal(suppressed, []string{"image-latest-tag", "privileged-container"}) {
		t.Errorf("suppressed %v, want image-latest-tag and privileged-container", suppressed)
	}
	for _, f := range c.Findings {
		if f.Rule == analysis.RuleUnusedSuppression && (f.Message != "unused suppression: no host-ipc finding here to suppress" && f.Message != "unused suppression: no host-pid finding here to suppress" || f.Severity != analysis.Hint) {
			t.Errorf("unused suppression: %q, severity %s", f.Message, f.Severity)
		}
		if f.Rule == analysis.RuleUnusedSuppression && f.By != "kustomization" && f.By != "patches" {
			t.Errorf("unused suppression in %s: by %q", f.At.File, f.By)
		}
	}
	if len(b.Problems) > 0 {
		t.Errorf("problems: %v", b.Problems)
	}

	// a component the overlay cannot read: what it is not built from may be what a comment
	// is for, so none is unused; the invalid ones still are
	testtree.Write(t, dir, map[string]string{"prod/kustomization.yaml": files["prod/kustomization.yaml"] + "components:\n- ../missing\n"})
	b, c = buildCheck(t, filepath.Join(dir, "prod"), e, nil)
	invalid := slices.DeleteFunc(want, func(w string) bool { return strings.Contains(w, "unused-suppression") })
	if got := suppressionFindings(dir, c.Findings); len(b.Problems) != 1 || !slices.Equal(got, invalid) {
		t.Errorf("with a missing resource (problems %v):\n%s\nwant:\n%s", b.Problems, strings.Join(got, "\n"), strings.Join(invalid, "\n"))
	}
}

// TestUnusedSharedComment: a component's patch is read by two overlays, one of which sets
// its field back. Its comment that suppresses the finding of one overlay only is not unused
// once their checks are merged; one that suppresses nothing in either is reported once,
// naming both.
func TestUnusedSharedComment(t *testing.T) {
	files := kustomizetest.SharedComponent(kustomizetest.Deployment)
	dir := testtree.Write(t, t.TempDir(), files)
	e := newEngine(t, "default")
	var all, prod []Finding
	var overlays []*Overlay
	for _, o := range []string{"debug", "prod"} {
		b, c := buildCheck(t, filepath.Join(dir, o), e, nil)
		all, overlays, prod = append(all, c.Findings...), append(overlays, b.Overlay), c.Findings
	}
	patch := strings.Split(kustomizetest.SharedComponentPatch, "\n")
	ipc := fmt.Sprintf("comp/pid.yaml:4:13-%d unused-suppression", len(patch[3])+1)
	pid := fmt.Sprintf("comp/pid.yaml:8:7-%d unused-suppression", len(patch[7])+1)
	// each overlay alone: prod has no host-pid finding to suppress
	if got, want := suppressionFindings(dir, all), []string{ipc + " debug", ipc + " prod", pid + " prod"}; !slices.Equal(got, want) {
		t.Errorf("before merging:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got, want := suppressionFindings(dir, Merge(all, overlays)), []string{ipc + " debug,prod"}; !slices.Equal(got, want) {
		t.Errorf("merged:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// merged with prod alone (a file named on the command line checks one overlay), it holds
	if got := suppressionFindings(dir, Merge(prod, overlays[1:])); !slices.Contains(got, pid+" prod") {
		t.Errorf("merged in prod alone: %v, want %s prod", got, pid)
	}
}
