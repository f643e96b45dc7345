package helm

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/fix"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"
)

// deployment is a Deployment whose containers are written by containers.
func deployment(name, containers string) string {
	return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ` + name + `
spec:
  selector:
    matchLabels: {app: ` + name + `}
  template:
    metadata:
      labels: {app: ` + name + `}
    spec:
      containers:
` + containers
}

// findingOf returns the chart's first finding of rule, failing the test when there is none.
func findingOf(t *testing.T, res *Checked, rule string) Finding {
	t.Helper()
	for _, f := range res.Findings {
		if f.Rule == rule {
			return f
		}
	}
	t.Fatalf("no %s finding among %d", rule, len(res.Findings))
	return Finding{}
}

// applyTemplateFix applies a template fix to the template's text and returns the result.
func applyTemplateFix(t *testing.T, read ReadFunc, tf *TemplateFix) string {
	t.Helper()
	text, err := read(tf.File)
	if err != nil {
		t.Fatal(err)
	}
	out, err := fix.ApplyEdits(string(text), tf.Edits)
	if err != nil {
		t.Fatalf("applying the template fix to %s: %v", tf.File, err)
	}
	return out
}

// checkFixedAway renders the chart again with the fixed template texts (by path) and reports
// a finding of fixed that is still there, or a new finding of its rule on its object.
func checkFixedAway(t *testing.T, e *analysis.Engine, dir string, opts Options, before *Checked, fixed []Finding, texts map[string]string) {
	t.Helper()
	opts.Read = func(path string) ([]byte, error) {
		if s, ok := texts[path]; ok {
			return []byte(s), nil
		}
		return os.ReadFile(path)
	}
	_, after := checkChart(t, e, dir, opts)
	had := map[string]bool{}
	for _, f := range before.Findings {
		had[findingKey(f)] = true
	}
	objects := map[string]bool{}
	for _, f := range fixed {
		objects[fmt.Sprintf("%s %s %s", f.Rule, f.Manifest.Name, f.Object)] = true
	}
	for _, f := range after.Findings {
		k := findingKey(f)
		for _, ff := range fixed {
			if k == findingKey(ff) {
				t.Errorf("%s is still there after its template fix", k)
			}
		}
		if !had[k] && objects[fmt.Sprintf("%s %s %s", f.Rule, f.Manifest.Name, f.Object)] {
			t.Errorf("the template fix brought a new finding: %s", k)
		}
	}
}

func TestTemplateFixLiteralValue(t *testing.T) {
	e := defaultEngine(t)
	dir := writeChart(t, map[string]string{
		"Chart.yaml":  chartYAML,
		"values.yaml": "tag: \"1.27\"\n",
		"templates/deploy.yaml": deployment("{{ .Release.Name }}", `        - name: app
          image: "nginx:{{ .Values.tag }}"
          securityContext:
            privileged: true
            runAsUser: 10001
`),
	})
	c, res := checkChart(t, e, dir, Options{})
	f := findingOf(t, res, "privileged-container")
	if c.ValuesFixes(f) != nil {
		t.Fatal("a literal value got a values fix")
	}
	tf := c.TemplateFixes(f)
	if tf == nil {
		t.Fatal("no template fix for a literal privileged: true")
	}
	if want := filepath.Join(dir, "templates", "deploy.yaml"); tf.File != want {
		t.Fatalf("the fix edits %s, want %s", tf.File, want)
	}
	fixed := applyTemplateFix(t, os.ReadFile, tf)
	if !strings.Contains(fixed, "            privileged: false\n") || strings.Contains(fixed, "privileged: true") {
		t.Errorf("fixed template:\n%s", fixed)
	}
	checkFixedAway(t, e, dir, Options{}, res, []Finding{f}, map[string]string{tf.File: fixed})
}

func TestTemplateFixInsertsWithTheTemplatesIndentation(t *testing.T) {
	e := defaultEngine(t)
	dir := writeChart(t, map[string]string{
		"Chart.yaml":  chartYAML,
		"values.yaml": "tag: \"1.27\"\n",
		"templates/deploy.yaml": deployment("web", `        - name: app
          image: "nginx:{{ .Values.tag }}"
          ports:
            - containerPort: 80
`),
	})
	c, res := checkChart(t, e, dir, Options{})
	f := findingOf(t, res, "run-as-high-uid")
	tf := c.TemplateFixes(f)
	if tf == nil {
		t.Fatal("no template fix for a missing securityContext in a literal container")
	}
	fixed := applyTemplateFix(t, os.ReadFile, tf)
	if !strings.Contains(fixed, "\n          securityContext:\n            runAsUser: 10001\n") {
		t.Errorf("the securityContext is not in the container with its indentation:\n%s", fixed)
	}
	checkFixedAway(t, e, dir, Options{}, res, []Finding{f}, map[string]string{tf.File: fixed})
}

func TestNoTemplateFix(t *testing.T) {
	e := defaultEngine(t)
	cases := map[string]map[string]string{
		"range": {
			"values.yaml": "containers: [{name: a}]\n",
			"templates/deploy.yaml": deployment("web", `{{- range .Values.containers }}
        - name: {{ .name }}
          image: nginx
          securityContext:
            privileged: true
{{- end }}
`),
		},
		"define with two call sites": {
			"values.yaml": "{}\n",
			"templates/_helpers.tpl": `{{- define "demo.container" }}
- name: app
  image: nginx
  securityContext:
    privileged: true
{{- end }}
`,
			"templates/a.yaml": deployment("a", `        {{- include "demo.container" . | nindent 8 }}
`),
			"templates/b.yaml": deployment("b", `        {{- include "demo.container" . | nindent 8 }}
`),
		},
		"value from values": {
			"values.yaml": "privileged: true\n",
			"templates/deploy.yaml": deployment("web", `        - name: app
          image: nginx
          securityContext:
            privileged: {{ .Values.privileged }}
`),
		},
	}
	for name, files := range cases {
		t.Run(name, func(t *testing.T) {
			files["Chart.yaml"] = chartYAML
			c, res := checkChart(t, e, writeChart(t, files), Options{})
			f := findingOf(t, res, "privileged-container")
			if tf := c.TemplateFixes(f); tf != nil {
				t.Errorf("template fix %+v", *tf)
			}
			if set := c.TemplateFixSet(res.Findings); len(set.Files) > 0 && set.Findings[set.Files[0]][0].Rule == "privileged-container" {
				t.Errorf("the fix-all set fixes it in %v", set.Files)
			}
			if got := c.ValuesFixes(f) != nil; got != (name == "value from values") {
				t.Errorf("values fix: %v", got)
			}
		})
	}
}

// TestTemplateFixesRemoveFindings applies every template fix of the shared charts (default
// values and the insecure overlay), renders again with the fixed templates, and checks that
// each fixed finding is gone and no new one of its rule appeared on its object; then the
// same for the fix-all set.
func TestTemplateFixesRemoveFindings(t *testing.T) {
	e := defaultEngine(t)
	total := 0
	eachSharedVariant(t, func(t *testing.T, v sharedVariant) {
		c, res := checkChart(t, e, v.dir, v.opts)
		for _, f := range res.Findings {
			tf := c.TemplateFixes(f)
			if tf == nil {
				continue
			}
			total++
			fixed := applyTemplateFix(t, os.ReadFile, tf)
			checkFixedAway(t, e, v.dir, v.opts, res, []Finding{f}, map[string]string{tf.File: fixed})
		}
		set := c.TemplateFixSet(res.Findings)
		texts := map[string]string{}
		var fixed []Finding
		for _, file := range set.Files {
			texts[file] = applyTemplateFix(t, os.ReadFile, &TemplateFix{File: file, Edits: set.Edits[file]})
			fixed = append(fixed, set.Findings[file]...)
		}
		if len(texts) > 0 {
			checkFixedAway(t, e, v.dir, v.opts, res, fixed, texts)
		}
	})
	t.Logf("%d findings of the shared charts have a template fix", total)
}

// TestVerifyTemplateFixes: a set whose edits fix their findings is kept; one whose edit
// leaves the finding (a wrong edit, made up here) is dropped, and its file named.
func TestVerifyTemplateFixes(t *testing.T) {
	e := defaultEngine(t)
	dir := writeChart(t, map[string]string{
		"Chart.yaml":  chartYAML,
		"values.yaml": "{}\n",
		"templates/deploy.yaml": deployment("web", `        - name: app
          image: nginx
          securityContext:
            privileged: true
            runAsUser: 10001
`),
	})
	c, res := checkChart(t, e, dir, Options{})
	set := c.TemplateFixSet(res.Findings)
	if len(set.Files) != 1 {
		t.Fatalf("template fixes in %v, want the one template", set.Files)
	}
	kept, dropped, err := c.VerifyTemplateFixes(context.Background(), Options{}, e, res.Findings, set)
	if err != nil || len(kept.Files) != 1 || len(dropped) != 0 {
		t.Fatalf("kept %v, dropped %v, %v", kept.Files, dropped, err)
	}
	file := set.Files[0]
	at := strings.Index(set.Texts[file], "image: nginx")
	set.Edits[file] = []fix.Edit{{Range: yamldoc.Range{Start: at, End: at + len("image: nginx")}, NewText: "image: nginx:1.27"}}
	kept, dropped, err = c.VerifyTemplateFixes(context.Background(), Options{}, e, res.Findings, set)
	if err != nil || len(kept.Files) != 0 || len(dropped) != 1 || dropped[0] != file {
		t.Errorf("a wrong edit: kept %v, dropped %v, %v", kept.Files, dropped, err)
	}
}
