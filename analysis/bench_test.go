package analysis

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sharedDir is ../shared beside the repository: the corpus and conformance fixtures. Tests
// that need it skip when it is absent, as in a user's clone.
func sharedDir(tb testing.TB) string {
	tb.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "shared"))
	if err == nil {
		if _, err = os.Stat(filepath.Join(dir, "corpus")); err == nil {
			return dir
		}
	}
	tb.Skipf("../shared (corpus and conformance fixtures) not found beside the repository: %v", err)
	return ""
}

// corpusFiles returns every corpus file's path and text.
func corpusFiles(tb testing.TB) map[string]string {
	tb.Helper()
	root := filepath.Join(sharedDir(tb), "corpus")
	files := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			return err
		}
		data, err := os.ReadFile(p)
		files[p] = string(data)
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return files
}

func newTestEngine(tb testing.TB, cfg Config) *Engine {
	tb.Helper()
	e, err := NewEngine(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

const typicalDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {app: web}
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports:
        - containerPort: 8080
        resources:
          requests: {cpu: 100m, memory: 128Mi}
        securityContext:
          allowPrivilegeEscalation: false
      - name: sidecar
        image: envoy:1.30
        securityContext:
          privileged: true
          capabilities:
            add: [SYS_ADMIN]
`

// BenchmarkAnalyzeDeployment is one typical Deployment, end to end from YAML text to findings.
func BenchmarkAnalyzeDeployment(b *testing.B) {
	e := newTestEngine(b, Config{})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Analyze(ctx, Input{Text: typicalDeployment}, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAnalyzeCorpus checks every corpus file once per iteration, on one goroutine.
func BenchmarkAnalyzeCorpus(b *testing.B) {
	files := corpusFiles(b)
	e := newTestEngine(b, Config{})
	ctx := context.Background()
	size := 0
	for _, t := range files {
		size += len(t)
	}
	b.SetBytes(int64(size))
	for b.Loop() {
		for p, t := range files {
			if _, err := e.Analyze(ctx, Input{Path: p, Text: t}, nil); err != nil {
				b.Fatal(err)
			}
		}
	}
}
