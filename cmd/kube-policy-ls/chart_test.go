package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeTestChart writes a small chart whose securityContext comes from its values.
func writeTestChart(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "app")
	files := map[string]string{
		"Chart.yaml":             "apiVersion: v2\nname: app\nversion: 0.1.0\n",
		"values.yaml":            "securityContext:\n  privileged: true\nhostNetwork: false\n",
		"templates/_helpers.tpl": "{{- define \"app.name\" -}}\n{{ .Release.Name }}-app\n{{- end -}}\n",
		"templates/pod.yaml": `apiVersion: v1
kind: Pod
metadata:
  name: {{ include "app.name" . }}
spec:
  hostNetwork: {{ .Values.hostNetwork }}
  containers:
  - name: c
    image: nginx:1.27
    securityContext:
      {{- toYaml .Values.securityContext | nindent 6 }}
`,
	}
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestCheckChartText(t *testing.T) {
	t.Parallel()
	dir := writeTestChart(t)
	code, out, errOut := runCLI(t, "", "check", "--format", "text", dir)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", code, out, errOut)
	}
	want := filepath.Join(dir, "templates", "pod.yaml") + ":11:"
	if !strings.Contains(out, want) || !strings.Contains(out, "privileged-container") {
		t.Errorf("privileged-container not reported at %s:\n%s", want, out)
	}
	if !strings.Contains(out, "(values: "+filepath.Join(dir, "values.yaml")+":2:3 securityContext.privileged)") {
		t.Errorf("the values key is not named after the message:\n%s", out)
	}
}

func TestCheckChartJSONAndSet(t *testing.T) {
	t.Parallel()
	dir := writeTestChart(t)
	_, out, errOut := runCLI(t, "", "check", "--format", "json", "--set", "hostNetwork=true", dir)
	var rep struct {
		Findings []struct {
			Rule, File   string
			Line, Column int
			Chart        struct {
				Root, Template string
				Via            []string
				Rendered       struct {
					File string
					Line int
				}
			}
			Values *struct {
				File string
				Line int
				Path string
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s%s", err, out, errOut)
	}
	rules := map[string]bool{}
	for _, f := range rep.Findings {
		rules[f.Rule] = true
		switch f.Rule {
		case "host-network":
			if f.Line != 6 || f.Values == nil || f.Values.Path != "hostNetwork" || f.Values.File != "" {
				t.Errorf("host-network: line %d, values %+v; want line 6 and the --set pair", f.Line, f.Values)
			}
		case "privileged-container":
			if f.Chart.Template != "templates/pod.yaml" || f.Chart.Rendered.File != "templates/pod.yaml" || f.Chart.Root != dir {
				t.Errorf("privileged-container: chart %+v", f.Chart)
			}
			if f.Values == nil || f.Values.Line != 2 || f.Values.Path != "securityContext.privileged" {
				t.Errorf("privileged-container: values %+v", f.Values)
			}
		}
	}
	if !rules["host-network"] || !rules["privileged-container"] {
		t.Errorf("findings %v, want host-network (from --set) and privileged-container", rules)
	}
}

func TestCheckChartSARIFRelatesValues(t *testing.T) {
	t.Parallel()
	dir := writeTestChart(t)
	_, out, _ := runCLI(t, "", "check", "--format", "sarif", dir)
	if !strings.Contains(out, `"relatedLocations"`) || !strings.Contains(out, filepath.ToSlash(filepath.Join(dir, "values.yaml"))) {
		t.Errorf("no related location on values.yaml:\n%s", out)
	}
}

func TestCheckChartRenderError(t *testing.T) {
	t.Parallel()
	dir := writeTestChart(t)
	bad := filepath.Join(dir, "templates", "bad.yaml")
	if err := os.WriteFile(bad, []byte("kind: A\nname: {{ required \"name is required\" .Values.name }}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runCLI(t, "", "check", dir)
	if code != 1 || !strings.Contains(out, bad+":2:") || !strings.Contains(out, "helm-render") || !strings.Contains(out, "name is required") {
		t.Errorf("exit %d, want the render error at %s:2:\n%s", code, bad, out)
	}
}

// check --fix writes the fix into values.yaml, and the finding is gone on the next render.
func TestCheckChartFixValues(t *testing.T) {
	t.Parallel()
	dir := writeTestChart(t)
	_, out, errOut := runCLI(t, "", "check", "--fix", dir)
	values, err := os.ReadFile(filepath.Join(dir, "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(values), "privileged: false") {
		t.Errorf("values.yaml not fixed:\n%s\n%s%s", values, out, errOut)
	}
	if strings.Contains(out, "privileged-container") {
		t.Errorf("privileged-container still reported after --fix:\n%s", out)
	}
}

// check --fix edits a template that writes the offending field as literal text.
func TestCheckChartFixTemplate(t *testing.T) {
	t.Parallel()
	dir := writeTestChart(t)
	tpl := filepath.Join(dir, "templates", "pod.yaml")
	text, err := os.ReadFile(tpl)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tpl, []byte(strings.Replace(string(text), "spec:\n", "spec:\n  hostPID: true\n", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, out, _ := runCLI(t, "", "check", dir); !strings.Contains(out, "host-pid") {
		t.Fatalf("no host-pid finding before --fix:\n%s", out)
	}
	_, out, errOut := runCLI(t, "", "check", "--fix", dir)
	fixed, err := os.ReadFile(tpl)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(fixed), "hostPID: true") || !strings.Contains(string(fixed), "{{ include \"app.name\" . }}") {
		t.Errorf("templates/pod.yaml not fixed:\n%s\n%s", fixed, errOut)
	}
	if strings.Contains(out, "host-pid") || strings.Contains(out, "helm-render") {
		t.Errorf("host-pid still reported after --fix, or the chart does not render:\n%s", out)
	}
}

// The configuration's helm: keys apply: values files relative to the configuration file,
// then --set pairs; --values on the command line comes after them.
func TestCheckChartConfigHelmKeys(t *testing.T) {
	t.Parallel()
	dir := writeTestChart(t)
	root := filepath.Dir(dir)
	if err := os.WriteFile(filepath.Join(root, "prod.yaml"), []byte("securityContext:\n  privileged: false\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := "helm:\n  values: [prod.yaml]\n  set: [hostNetwork=true]\n  releaseName: prod\n"
	if err := os.WriteFile(filepath.Join(root, ".kube-policy.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	_, out, errOut := runCLI(t, "", "check", "--format", "json", dir)
	if strings.Contains(out, "privileged-container") || !strings.Contains(out, "host-network") || !strings.Contains(out, `"name": "prod-app"`) {
		t.Errorf("the helm: keys were not applied:\n%s%s", out, errOut)
	}
	over := filepath.Join(root, "override.yaml")
	if err := os.WriteFile(over, []byte("securityContext:\n  privileged: true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, out, _ = runCLI(t, "", "check", "--format", "json", "--values", over, dir)
	if !strings.Contains(out, "privileged-container") || !strings.Contains(out, over) {
		t.Errorf("--values did not apply after the configuration's values:\n%s", out)
	}
}

// A file of a chart named on the command line is checked through the rendered chart, and
// only the findings placed in it (or whose values key is in it) are reported.
func TestCheckChartNamedFile(t *testing.T) {
	t.Parallel()
	dir := writeTestChart(t)
	pod := filepath.Join(dir, "templates", "pod.yaml")
	code, out, errOut := runCLI(t, "", "check", pod)
	if code != 1 || !strings.Contains(out, pod+":11:") || strings.Contains(out, "helm-template") {
		t.Errorf("exit %d, want the rendered finding at %s:11:\n%s%s", code, pod, out, errOut)
	}
	helpers := filepath.Join(dir, "templates", "_helpers.tpl")
	code, out, _ = runCLI(t, "", "check", helpers)
	if code != 0 || strings.Contains(out, "privileged") {
		t.Errorf("exit %d, want no finding in %s:\n%s", code, helpers, out)
	}
	code, out, _ = runCLI(t, "", "check", filepath.Join(dir, "values.yaml"))
	if code != 1 || !strings.Contains(out, "privileged-container") {
		t.Errorf("exit %d, want the finding whose values key is in values.yaml:\n%s", code, out)
	}
}

// TestCheckChartBaseline: a baseline records a chart's findings at their placed files and then
// hides them; a finding that a values change brings is still reported.
func TestCheckChartBaseline(t *testing.T) {
	t.Parallel()
	dir := writeTestChart(t)
	_, out, _ := runCLI(t, "", "check", "--format", "json", dir)
	var rep struct{ Findings []struct{ Rule string } }
	if err := json.Unmarshal([]byte(out), &rep); err != nil || len(rep.Findings) == 0 {
		t.Fatalf("no findings to record (%v):\n%s", err, out)
	}
	n := len(rep.Findings)
	base := filepath.Join(t.TempDir(), "baseline.json")
	if code, out, errOut := runCLI(t, "", "check", "--write-baseline", base, dir); code != 0 || !strings.Contains(errOut, fmt.Sprintf("%d findings recorded", n)) {
		t.Fatalf("write-baseline: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := runCLI(t, "", "check", "--baseline", base, dir); code != 0 || !strings.Contains(errOut, fmt.Sprintf("%d known findings", n)) {
		t.Errorf("with the baseline: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut := runCLI(t, "", "check", "--format", "json", "--baseline", base, "--set", "hostNetwork=true", dir)
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 1 || len(rep.Findings) != 1 || rep.Findings[0].Rule != "host-network" {
		t.Errorf("a new finding under the baseline: exit %d, %+v (%v)\n%s", code, rep.Findings, err, errOut)
	}
}
