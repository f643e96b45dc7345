package kustomize

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
	"github.com/kube-policy-ls/kube-policy-ls/internal/kustomizetest"
	"github.com/kube-policy-ls/kube-policy-ls/internal/testtree"
)

// TestProblems: an entry that cannot be built is one kustomize-build finding at that entry,
// and the rest of the overlay is still built and checked.
func TestProblems(t *testing.T) {
	e := newEngine(t, "default")
	privileged := kustomizetest.PrivilegedPatch
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
			files := kustomizetest.Base(kustomizetest.Deployment)
			maps.Copy(files, c.files)
			dir := testtree.Write(t, t.TempDir(), files)
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
	dir := testtree.Write(t, t.TempDir(), overlayTree)
	if _, err := Build(context.Background(), filepath.Join(dir, "prod"), Options{Timeout: time.Nanosecond}); err == nil {
		t.Error("a build with a deadline of 1 ns succeeded")
	}
}

// TestOddKustomizations: kustomizations of every wrong shape build (or report a problem at an
// entry or at the file) without a panic or a hang.
func TestOddKustomizations(t *testing.T) {
	e := newEngine(t, "default")
	for i, c := range []struct {
		k    string
		line int // of the problem, 0 for none or any
	}{
		{"", 0},
		{"- a\n- b\n", 0},
		{"resources: {a: b}\npatches: just a string\n", 2},
		{"resources:\n- ../base\npatches:\n- {}\n- path: ''\n- patch: ''\n", 3},
		{"resources:\n- ../base\nimages:\n- {}\n- newTag: x\nreplicas:\n- name: web\n- {count: 2}\n", 0},
		{"resources:\n- ../base\npatches:\n- target: {name: '('}\n  patch: |-\n    - op: add\n      path: /x\n      value: 1\n", 0},
		{"resources:\n- ../base\npatchesJson6902:\n- target: {kind: Deployment, name: web}\n  patch: |-\n    not: a list\n", 0},
		{"resources:\n- ../base\npatchesStrategicMerge:\n- |-\n  apiVersion: apps/v1\n  kind: Deployment\n  metadata: {name: web}\n  spec: {template: {spec: {hostPID: true}}}\n", 0},
		{"resources:\n- ../base\nnamePrefix: {a: b}\ncommonLabels: [x]\nlabels:\n- pairs: [y]\n", 4},
		{"resources:\n- ../base\n- ../base\n", 0},
		{"resources:\n- .\n", 0},
		{"resources:\n- ../base\npatches:\n- patch: '{\"apiVersion\": \"apps/v1\", \"kind\": \"Deployment\", \"metadata\": {\"name\": \"web\"}, \"spec\": {\"template\": {\"spec\": {\"hostIPC\": true}}}}'\n", 0},
		{"resources:\n- ../base\nconfigMapGenerator:\n- name: c\n  files: [gone.txt, k=gone2.txt]\n  envs: [gone.env]\n", 0},
		{"kind: Component\nresources:\n- ../base\n", 0},
		{"resources:\n- ../base\ncomponents:\n- ../base\n", 0},
		{"resources: [../base\n", 0},
	} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			files := kustomizetest.Base(kustomizetest.Deployment)
			files["odd/kustomization.yaml"] = c.k
			dir := testtree.Write(t, t.TempDir(), files)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			b, err := Build(ctx, filepath.Join(dir, "odd"), Options{})
			if err != nil {
				t.Fatal(err)
			}
			ch, err := b.Check(ctx, e, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range ch.Findings {
				if f.At.File == "" || f.At.Line < 1 || f.At.Column < 1 {
					t.Errorf("%s placed nowhere: %+v", f.Rule, f.At)
				}
			}
			if c.line > 0 && (len(b.Problems) != 1 || b.Problems[0].Line != c.line) {
				t.Errorf("problems %+v, want one on line %d", b.Problems, c.line)
			}
		})
	}
}
