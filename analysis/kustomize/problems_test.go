package kustomize

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
)

// TestProblems: an entry that cannot be built is one kustomize-build finding at that entry,
// and the rest of the overlay is still built and checked.
func TestProblems(t *testing.T) {
	e := newEngine(t, "default")
	privileged := "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        securityContext:\n          privileged: true\n"
	for _, c := range []struct {
		name  string
		files map[string]string
		line  string // the text of the line the problem is on
		msg   string // part of its message
	}{
		{"remote resource", map[string]string{
			"prod/kustomization.yaml": "resources:\n- ../base\n- https://github.com/example/repo//deploy?ref=v1\npatches:\n- path: p.yaml\n",
			"prod/p.yaml":             privileged,
		}, "https://github.com", "not fetched"},
		{"remote git resource", map[string]string{
			"prod/kustomization.yaml": "resources:\n- github.com/example/repo/deploy?ref=v1\n- ../base\npatches:\n- path: p.yaml\n",
			"prod/p.yaml":             privileged,
		}, "github.com/example", "not fetched"},
		{"missing resource", map[string]string{
			"prod/kustomization.yaml": "resources:\n- ../base\n- gone.yaml\npatches:\n- path: p.yaml\n",
			"prod/p.yaml":             privileged,
		}, "gone.yaml", "no such file"},
		{"missing patch file", map[string]string{
			"prod/kustomization.yaml": "resources:\n- ../base\npatches:\n- path: p.yaml\n- path: gone.yaml\n",
			"prod/p.yaml":             privileged,
		}, "gone.yaml", "no such file"},
		{"cycle of bases", map[string]string{
			"prod/kustomization.yaml":  "resources:\n- ../base\n- ../cycle\npatches:\n- path: p.yaml\n",
			"prod/p.yaml":              privileged,
			"cycle/kustomization.yaml": "resources:\n- ../prod\n",
		}, "- ../prod", "cycle"},
		{"patch that does not parse", map[string]string{
			"prod/kustomization.yaml": "resources:\n- ../base\npatches:\n- path: p.yaml\n- path: bad.yaml\n",
			"prod/p.yaml":             privileged,
			"prod/bad.yaml":           "spec: [unclosed\n",
		}, "bad.yaml", "does not parse"},
		{"JSON patch that does not apply", map[string]string{
			"prod/kustomization.yaml": "resources:\n- ../base\npatches:\n- path: p.yaml\n- target: {kind: Deployment}\n  patch: |-\n    - op: replace\n      path: /spec/nothing/here\n      value: 1\n",
			"prod/p.yaml":             privileged,
		}, "- target: {kind: Deployment}", "nothing"},
		{"patch of no object", map[string]string{
			"prod/kustomization.yaml": "resources:\n- ../base\npatches:\n- path: p.yaml\n- path: other.yaml\n",
			"prod/p.yaml":             privileged,
			"prod/other.yaml":         "apiVersion: v1\nkind: Service\nmetadata:\n  name: nobody\nspec:\n  type: NodePort\n",
		}, "other.yaml", "nobody"},
	} {
		t.Run(c.name, func(t *testing.T) {
			files := map[string]string{"base/kustomization.yaml": "resources:\n- deploy.yaml\n", "base/deploy.yaml": baseDeploy}
			for k, v := range c.files {
				files[k] = v
			}
			dir := writeTree(t, t.TempDir(), files)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			b, err := Build(ctx, filepath.Join(dir, "prod"), Options{})
			if err != nil {
				t.Fatal(err)
			}
			ch, err := b.Check(ctx, e, nil)
			if err != nil {
				t.Fatal(err)
			}
			var problems, privileged int
			for _, f := range ch.Findings {
				switch f.Rule {
				case analysis.RuleKustomizeBuild:
					problems++
					line := lineOf(t, f.At.File, f.At.Line)
					t.Logf("%d:%d %s", f.At.Line, f.At.Column, f.Message)
					if !strings.Contains(line, c.line) || !strings.Contains(f.Message, c.msg) {
						t.Errorf("problem %q at %s:%d %q; want the line with %q and a message with %q", f.Message, f.At.File, f.At.Line, line, c.line, c.msg)
					}
				case "privileged-container":
					privileged++
					if filepath.Base(f.At.File) != "p.yaml" {
						t.Errorf("privileged-container placed at %s:%d", f.At.File, f.At.Line)
					}
				}
			}
			if problems != 1 {
				t.Errorf("%d kustomize-build findings, want 1: %+v", problems, b.Problems)
			}
			if privileged != 1 {
				t.Errorf("%d privileged-container findings, want 1: the rest of the overlay is checked", privileged)
			}
		})
	}
}

// TestDeadline: a build past its deadline is an error, not a hang.
func TestDeadline(t *testing.T) {
	dir := writeTree(t, t.TempDir(), overlayTree)
	if _, err := Build(context.Background(), filepath.Join(dir, "prod"), Options{Timeout: time.Nanosecond}); err == nil {
		t.Error("a build with a deadline of 1 ns succeeded")
	}
}
