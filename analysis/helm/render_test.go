package helm

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"
)

const sharedCharts = "../../../shared/charts"

// sharedChartDirs returns the application charts of the shared test data, skipping the test
// with a visible message when the data is absent.
func sharedChartDirs(t testing.TB) []string {
	t.Helper()
	dirs, _ := filepath.Glob(filepath.Join(sharedCharts, "*", "*", "Chart.yaml"))
	var out []string
	for _, d := range dirs {
		dir, _ := filepath.Abs(filepath.Dir(d))
		if filepath.Base(dir) == "common" {
			continue // a library chart: nothing to render
		}
		out = append(out, dir)
	}
	if len(out) == 0 {
		t.Skipf("SKIP: no shared charts at %s: the tests on real charts did not run", sharedCharts)
	}
	return out
}

// TestInstrumentedIsByteIdentical: stripping the markers of an instrumented render gives
// exactly the plain render, template by template, on every shared chart.
func TestInstrumentedIsByteIdentical(t *testing.T) {
	eachSharedVariant(t, func(t *testing.T, v sharedVariant) { checkByteIdentical(t, v.dir, v.opts) })
}

func checkByteIdentical(t *testing.T, dir string, opts Options) {
	t.Helper()
	plain, err := RenderPlain(context.Background(), dir, opts)
	if err != nil {
		t.Fatalf("plain render: %v", err)
	}
	c, err := Render(context.Background(), dir, opts)
	if err != nil {
		t.Fatalf("instrumented render: %v", err)
	}
	got := map[string]string{}
	for _, m := range c.Manifests {
		got[m.Name] = m.Text
	}
	n := 0
	for name, want := range plain {
		if filepath.Base(name) == "NOTES.txt" || isBlank(want) {
			continue
		}
		n++
		if got[name] != want {
			t.Errorf("%s: instrumented output differs from the plain render:\n%s", name, firstDiff(want, got[name]))
		}
	}
	if n != len(got) || n == 0 {
		t.Errorf("%d templates rendered plain, %d instrumented", n, len(got))
	}
}

// A chart that renders 10,000 objects is rendered and checked, within bounds.
func TestTenThousandObjects(t *testing.T) {
	t.Parallel()
	dir := writeChart(t, map[string]string{
		"Chart.yaml":          chartYAML,
		"templates/many.yaml": "{{- range $i := until 10000 }}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{{ $i }}\ndata:\n  k: {{ $.Values.v | default \"x\" | quote }}\n{{- end }}\n",
	})
	c, err := Render(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Check(context.Background(), defaultEngine(t))
	if err != nil {
		t.Fatal(err)
	}
	if res.Objects != 10000 {
		t.Errorf("%d objects checked, want 10000", res.Objects)
	}
	if o, ok := c.Origin(c.Manifests[0], len(c.Manifests[0].Text)-3); !ok || o.Line != 8 {
		t.Errorf("the last object's value maps to %+v, want line 8", o)
	}
}

func isBlank(s string) bool {
	for _, r := range s {
		if r != ' ' && r != '\n' && r != '\t' && r != '\r' {
			return false
		}
	}
	return true
}

func firstDiff(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	lo := max(0, i-80)
	return "plain:        " + quoteCut(a[lo:], 160) + "\ninstrumented: " + quoteCut(b[lo:], 160)
}

func quoteCut(s string, n int) string {
	if len(s) > n {
		s = s[:n]
	}
	return strconv.Quote(s)
}
