package helm

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
)

// TestValuesKeysHelmMisreads: unquoted keys that YAML 1.1 reads as booleans (or numbers)
// get a helm-values-key finding at the key, in the chart's values.yaml and in a configured
// values file; quoted keys and ordinary names do not. That Helm really misreads them is
// shown by its own render: .Values.n is empty, and .Values.false holds the extra file's
// no: 1, which overrode values.yaml's n: 3.
func TestValuesKeysHelmMisreads(t *testing.T) {
	t.Parallel()
	dir := writeChart(t, map[string]string{
		"Chart.yaml": chartYAML,
		"values.yaml": `n: 3
"y": 4
image: nginx
nested:
  On: x
  name: ok
list:
  - off: 1
    yes: 2
  - 1.0: a
`,
		"templates/cm.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: cm
data:
  n: "{{ .Values.n }}"
  false: "{{ index .Values "false" }}"
  y: "{{ .Values.y }}"
`,
	})
	extra := filepath.Join(t.TempDir(), "extra.yaml")
	if err := os.WriteFile(extra, []byte("image: x\nno: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := Options{ValuesFiles: []string{extra}}

	plain, err := RenderPlain(context.Background(), dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	if cm := plain["demo/templates/cm.yaml"]; !strings.Contains(cm, `n: ""`) || !strings.Contains(cm, `false: "1"`) || !strings.Contains(cm, `y: "4"`) {
		t.Fatalf("Helm's render does not misread the key as expected:\n%s", cm)
	}

	rep, err := Analyze(context.Background(), dir, opts, defaultEngine(t))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range rep.Findings {
		if p.Rule == analysis.RuleHelmValuesKey {
			got = append(got, filepath.Base(p.File)+":"+spanString(p.Span)+" "+p.Message)
		}
	}
	slices.Sort(got)
	want := []string{
		`extra.yaml:2:1-2:3 Helm reads the values key "no" as "false" (YAML 1.1): a template that reads "no" gets nothing; quote the key to keep its name`,
		`values.yaml:10:5-10:8 Helm reads the values key "1.0" as "1" (YAML 1.1): a template that reads "1.0" gets nothing; quote the key to keep its name`,
		`values.yaml:1:1-1:2 Helm reads the values key "n" as "false" (YAML 1.1): a template that reads "n" gets nothing; quote the key to keep its name`,
		`values.yaml:5:3-5:5 Helm reads the values key "On" as "true" (YAML 1.1): a template that reads "On" gets nothing; quote the key to keep its name`,
		`values.yaml:8:5-8:8 Helm reads the values key "off" as "false" (YAML 1.1): a template that reads "off" gets nothing; quote the key to keep its name`,
		`values.yaml:9:5-9:8 Helm reads the values key "yes" as "true" (YAML 1.1): a template that reads "yes" gets nothing; quote the key to keep its name`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("helm-values-key findings:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	off := false
	e, err := analysis.NewEngine(context.Background(), analysis.Config{Rules: map[string]analysis.RuleConfig{analysis.RuleHelmValuesKey: {Enabled: &off}}})
	if err != nil {
		t.Fatal(err)
	}
	rep, err = Analyze(context.Background(), dir, opts, e)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range rep.Findings {
		if p.Rule == analysis.RuleHelmValuesKey {
			t.Errorf("reported with the rule turned off: %s", p.Message)
		}
	}
}

func spanString(s Span) string {
	return fmt.Sprintf("%d:%d-%d:%d", s.Line, s.Column, s.EndLine, s.EndColumn)
}
