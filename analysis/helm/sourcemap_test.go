package helm

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Spot checks of the source map on a small chart: literal text maps to its exact column,
// an action's output to the action, a define's text to the define with the include's call
// site in Via, values to their keys, and a false guard to its key.
func TestSourceMapSpotChecks(t *testing.T) {
	t.Parallel()
	dir := writeChart(t, map[string]string{
		"Chart.yaml":             chartYAML,
		"values.yaml":            "image:\n  tag: \"1.2\"\nmetrics:\n  enabled: false\n",
		"templates/_helpers.tpl": "{{- define \"demo.labels\" -}}\napp: demo\ntier: {{ .Values.tier | default \"web\" }}\n{{- end -}}\n",
		"templates/pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  labels:\n    {{- include \"demo.labels\" . | nindent 4 }}\n" +
			"spec:\n  containers:\n  - name: app\n    image: \"nginx:{{ .Values.image.tag }}\"\n" +
			"    {{- if .Values.metrics.enabled }}\n    ports:\n    - containerPort: 9090\n    {{- end }}\n",
	})
	c, err := Render(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := c.Manifests[0]
	pod, helpers := filepath.Join(dir, "templates", "pod.yaml"), filepath.Join(dir, "templates", "_helpers.tpl")
	at := func(needle string, delta int) Origin {
		t.Helper()
		i := strings.Index(m.Text, needle)
		if i < 0 {
			t.Fatalf("%q not rendered:\n%s", needle, m.Text)
		}
		o, ok := c.Origin(m, i+delta)
		if !ok {
			t.Fatalf("no origin for %q", needle)
		}
		return o
	}
	tests := []struct {
		needle  string
		delta   int
		file    string
		line    int
		column  int
		literal bool
		via     int
	}{
		{"kind: Pod", 6, pod, 2, 7, true, 0},       // literal text, exact column
		{"app: demo", 0, helpers, 2, 1, true, 1},   // a define's text, via the include
		{"tier: web", 6, helpers, 3, 10, false, 1}, // an action inside the define
		{"nginx:1.2", 6, pod, 9, 22, false, 0},     // the action that printed the tag
		{"- name: app", 2, pod, 8, 5, true, 0},     // the container's entry
	}
	for _, tt := range tests {
		o := at(tt.needle, tt.delta)
		if o.File != tt.file || o.Line != tt.line || o.Column != tt.column || o.Literal != tt.literal || len(o.Via) != tt.via {
			t.Errorf("%q+%d: %s:%d:%d literal=%v via=%v, want %s:%d:%d literal=%v via %d", tt.needle, tt.delta,
				o.File, o.Line, o.Column, o.Literal, o.Via, tt.file, tt.line, tt.column, tt.literal, tt.via)
		}
	}
	if o := at("app: demo", 0); len(o.Via) == 1 && (o.Via[0].File != pod || o.Via[0].Line != 5) {
		t.Errorf("include call site %+v, want pod.yaml:5", o.Via[0])
	}
	tag := strings.Index(m.Text, "nginx:1.2")
	ref := c.ValueSource(m, tag+6, []any{"spec", "containers", 0, "image"}, "1.2")
	if ref == nil || ref.Path != "image.tag" || ref.File != filepath.Join(dir, "values.yaml") || ref.Line != 2 {
		t.Errorf("image tag traced to %+v, want image.tag at values.yaml:2", ref)
	}
	entry := strings.Index(m.Text, "- name: app")
	guard := c.GuardSource(m, entry, len(m.Text), "ports")
	if guard == nil || guard.Path != "metrics.enabled" || guard.Line != 4 {
		t.Errorf("missing ports traced to %+v, want the guard metrics.enabled at values.yaml:4", guard)
	}
}

// An edited template (an unsaved buffer) is instrumented afresh while the unchanged files come
// from the cache: the map follows the edit.
func TestSourceMapFollowsEdits(t *testing.T) {
	t.Parallel()
	pod := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}\n"
	dir := writeChart(t, map[string]string{"Chart.yaml": chartYAML, "templates/pod.yaml": pod})
	file := filepath.Join(dir, "templates", "pod.yaml")
	for i, text := range []string{pod, "# a comment\n" + pod, pod} {
		c, err := Render(context.Background(), dir, Options{Read: func(p string) ([]byte, error) {
			if p == file {
				return []byte(text), nil
			}
			return os.ReadFile(p)
		}})
		if err != nil {
			t.Fatal(err)
		}
		m := c.Manifests[0]
		o, ok := c.Origin(m, strings.Index(m.Text, "kind: Pod"))
		want := 2
		if i == 1 {
			want = 3
		}
		if !ok || o.Line != want || o.File != file {
			t.Errorf("render %d: kind: Pod maps to %+v, want %s:%d", i, o, file, want)
		}
	}
}
