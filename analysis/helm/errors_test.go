package helm

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kube-policy-ls/kube-policy-ls/internal/testtree"
)

const chartYAML = "apiVersion: v2\nname: demo\nversion: 0.1.0\n"

// writeChart writes a chart's files under a temporary directory and returns its path.
func writeChart(t testing.TB, files map[string]string) string {
	t.Helper()
	return testtree.Write(t, t.TempDir(), files)
}

func TestRenderErrorsArePlaced(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		files    map[string]string
		opts     func(dir string) Options
		file     string // relative to the chart
		line     int
		contains string
	}{
		{"template syntax", map[string]string{
			"Chart.yaml": chartYAML, "templates/a.yaml": "kind: A\nmetadata:\n  name: {{ .Values.x }\n",
		}, nil, "templates/a.yaml", 3, "unexpected"},
		{"required", map[string]string{
			"Chart.yaml": chartYAML, "templates/a.yaml": "kind: A\n\nmetadata:\n  name: {{ required \"image.tag is required\" .Values.tag }}\n",
		}, nil, "templates/a.yaml", 4, "image.tag is required"},
		{"fail in a helper", map[string]string{
			"Chart.yaml":             chartYAML,
			"templates/_helpers.tpl": "{{- define \"demo.check\" -}}\n{{- fail \"replicas must be odd\" -}}\n{{- end -}}\n",
			"templates/a.yaml":       "kind: A\nname: {{ include \"demo.check\" . }}\n",
		}, nil, "templates/a.yaml", 2, "replicas must be odd"}, // Helm's placement: the call site
		{"values.yaml not YAML", map[string]string{
			"Chart.yaml": chartYAML, "values.yaml": "a: 1\nb: [\n", "templates/a.yaml": "kind: A\n",
		}, nil, "values.yaml", 0, "values.yaml"},
		{"values file not YAML", map[string]string{
			"Chart.yaml": chartYAML, "extra.yaml": "a: 1\n  b: 2\n", "templates/a.yaml": "kind: A\n",
		}, func(dir string) Options { return Options{ValuesFiles: []string{filepath.Join(dir, "extra.yaml")}} }, "extra.yaml", 2, "not valid YAML"},
		{"broken Chart.yaml", map[string]string{
			"Chart.yaml": "apiVersion: v2\nname: [demo\n", "templates/a.yaml": "kind: A\n",
		}, nil, "Chart.yaml", 0, "Chart.yaml"},
		{"missing dependency", map[string]string{
			"Chart.yaml":       chartYAML + "dependencies:\n  - name: db\n    version: 1.x\n    repository: https://example.com\n",
			"templates/a.yaml": "kind: A\n",
		}, nil, "Chart.yaml", 5, `dependency "db" is not in charts/`},
		{"include recursion", map[string]string{
			"Chart.yaml":             chartYAML,
			"templates/_helpers.tpl": "{{- define \"demo.loop\" -}}\nx{{ include \"demo.loop\" . }}\n{{- end -}}\n",
			"templates/a.yaml":       "kind: A\nname: {{ include \"demo.loop\" . }}\n",
		}, nil, "templates/_helpers.tpl", 2, "recursion"},
		{"output too large", map[string]string{
			"Chart.yaml":       chartYAML,
			"templates/a.yaml": "{{ range until 1000000 }}{{ range until 1000000 }}" + strings.Repeat("x", 4096) + "{{ end }}{{ end }}\n",
			// The deadline is lifted so that the size limit, not a loaded machine's clock,
			// stops this render (it stopped at the deadline once under the race detector).
		}, func(string) Options { return Options{Timeout: time.Hour} }, "Chart.yaml", 0, "over the limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := writeChart(t, tt.files)
			opts := Options{}
			if tt.opts != nil {
				opts = tt.opts(dir)
			}
			// No timed assertion (the machines are shared): the bounds are the render's own
			// deadline and size limit, and the error below says which one stopped it.
			_, err := Render(context.Background(), dir, opts)
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("error %v (%T), want an *Error", err, err)
			}
			if want := filepath.Join(dir, tt.file); perr.File != want {
				t.Errorf("error placed in %s, want %s (%v)", perr.File, want, perr)
			}
			if tt.line > 0 && perr.Line != tt.line {
				t.Errorf("error placed at line %d, want %d (%v)", perr.Line, tt.line, perr)
			}
			if !strings.Contains(perr.Error(), tt.contains) {
				t.Errorf("error %q does not say %q", perr.Error(), tt.contains)
			}
		})
	}
}

func TestSymlinkLoopInCharts(t *testing.T) {
	t.Parallel()
	dir := writeChart(t, map[string]string{"Chart.yaml": chartYAML, "templates/a.yaml": "kind: A\n"})
	if err := os.MkdirAll(filepath.Join(dir, "charts", "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "charts", "sub", "Chart.yaml"), []byte("apiVersion: v2\nname: sub\nversion: 0.1.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("..", filepath.Join(dir, "charts", "sub", "loop")); err != nil {
		t.Skipf("SKIP: symbolic links unavailable: %v", err)
	}
	_, err := Render(context.Background(), dir, Options{})
	var perr *Error
	if !errors.As(err, &perr) || !strings.Contains(perr.Msg, "loop") {
		t.Fatalf("error %v, want a symbolic link loop", err)
	}
	if want := filepath.Join(dir, "charts", "sub", "loop"); perr.File != want {
		t.Errorf("loop reported at %s, want %s", perr.File, want)
	}
}

// A disabled conditional dependency may be absent; an enabled one may not.
func TestConditionalDependency(t *testing.T) {
	t.Parallel()
	files := map[string]string{
		"Chart.yaml":       chartYAML + "dependencies:\n  - name: db\n    version: 1.x\n    condition: db.enabled\n",
		"values.yaml":      "db:\n  enabled: false\n",
		"templates/a.yaml": "kind: A\n",
	}
	dir := writeChart(t, files)
	if _, err := Render(context.Background(), dir, Options{}); err != nil {
		t.Fatalf("disabled dependency: %v", err)
	}
	if _, err := Render(context.Background(), dir, Options{Set: []string{"db.enabled=true"}}); err == nil {
		t.Fatal("an enabled dependency missing from charts/ rendered without error")
	}
}

func TestStandInsAreDeterministic(t *testing.T) {
	t.Parallel()
	dir := writeChart(t, map[string]string{
		"Chart.yaml": chartYAML,
		"templates/a.yaml": "kind: Secret\ndata:\n  p: {{ randAlphaNum 12 | b64enc }}\n  u: {{ uuidv4 }}\n" +
			"{{- $ca := genCA \"ca\" 365 }}\n  ca: {{ $ca.Cert | b64enc }}\n  k: {{ genPrivateKey \"rsa\" | b64enc }}\n" +
			"{{- $c := genSignedCert \"x\" nil nil 365 $ca }}\n  c: {{ $c.Key | sha256sum }}\n  h: {{ htpasswd \"u\" \"p\" }}\n",
	})
	a, err := Render(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Render(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if a.Manifests[0].Text != b.Manifests[0].Text {
		t.Errorf("two renders differ:\n%s\n%s", a.Manifests[0].Text, b.Manifests[0].Text)
	}
	// identical output is what shows the stand-ins ran: real key generation differs each time
	if strings.Contains(a.Manifests[0].Text, "<no value>") || !strings.Contains(a.Manifests[0].Text, "u: 00000000-0000-4000-8000-000000000000") {
		t.Errorf("unexpected output:\n%s", a.Manifests[0].Text)
	}
}
