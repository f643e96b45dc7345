package helm

import (
	"context"
	"testing"

	"github.com/kube-policy-ls/kube-policy-ls/internal/testtree"
)

// BenchmarkAnalyzeLiteralChart analyses a chart whose container is literal template text,
// with eight fixable findings on it: what placing the findings costs now that each literal
// one is asked for its template fix.
func BenchmarkAnalyzeLiteralChart(b *testing.B) {
	dir := literalChart(b)
	e := defaultEngine(b)
	start := cpuTime()
	defer reportCPU(b, start)
	for b.Loop() {
		if _, err := Analyze(context.Background(), dir, Options{}, e); err != nil {
			b.Fatal(err)
		}
	}
}

// literalChart writes a chart whose Deployment is literal template text but for its name and
// image tag.
func literalChart(b *testing.B) string {
	dir := b.TempDir()
	files := map[string]string{
		"Chart.yaml":  "apiVersion: v2\nname: demo\nversion: 0.1.0\n",
		"values.yaml": "tag: \"1.27\"\n",
		"templates/deploy.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      hostPID: true
      containers:
        - name: app
          image: "nginx:{{ .Values.tag }}"
          ports:
            - containerPort: 80
`,
	}
	return testtree.Write(b, dir, files)
}

// BenchmarkAnalyzeAgainLiteralChart is BenchmarkAnalyzeLiteralChart after an earlier report,
// as at a keystroke in the editor that leaves the render as it was.
func BenchmarkAnalyzeAgainLiteralChart(b *testing.B) {
	dir := literalChart(b)
	e := defaultEngine(b)
	prev, err := Analyze(context.Background(), dir, Options{}, e)
	if err != nil {
		b.Fatal(err)
	}
	start := cpuTime()
	defer reportCPU(b, start)
	for b.Loop() {
		if prev, err = AnalyzeAgain(context.Background(), dir, Options{}, e, prev); err != nil {
			b.Fatal(err)
		}
	}
}
