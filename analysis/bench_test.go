package analysis

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"

	"github.com/kube-policy-ls/kube-policy-ls/internal/shareddata"
)

// corpusFiles returns every corpus file's path and text.
func corpusFiles(tb testing.TB) map[string]string {
	tb.Helper()
	root := filepath.Join(shareddata.Path(tb, "corpus"), "corpus")
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

// TestConstantRulesSeeded guards the engine's evaluation of the input-independent rules once
// per engine (staticValues): they are found (lib.profile, lib.k8s_minor, ...), a 'with' that
// replaces the configuration still sees its own values, and analyses of the PSS fixtures give
// the same results with and without the seeded values.
func TestConstantRulesSeeded(t *testing.T) {
	ctx := context.Background()
	cfg := Config{Profile: "pss-restricted", KubernetesVersion: "1.30"}
	e := newTestEngine(t, cfg)
	for _, name := range []ast.String{"profile", "k8s_minor", "resource_defaults", "min_uid"} {
		if !e.static.names[name] {
			t.Errorf("%s is not seeded", name)
		}
	}
	mods, err := builtin()
	if err != nil {
		t.Fatal(err)
	}
	compiler := ast.NewCompiler()
	if compiler.Compile(mods); compiler.Failed() {
		t.Fatal(compiler.Errors)
	}
	store := inmem.NewFromObject(map[string]any{"kubepolicy": map[string]any{"config": cfg.regoData()}})
	for q, want := range map[string]string{
		`x := data.kubepolicy.lib.profile`:   `"pss-restricted"`,
		`x := data.kubepolicy.lib.k8s_minor`: `30`,
		`x := data.kubepolicy.lib.profile with data.kubepolicy.config as {"profile": "default"}`: `"default"`,
		`x := [data.kubepolicy.lib.k8s_minor | true] with data.kubepolicy.config as {}`:          `[37]`,
	} {
		pq, err := rego.New(rego.Query(q), rego.Compiler(compiler), rego.Store(store), rego.SetRegoVersion(ast.RegoV1)).PrepareForEval(ctx)
		if err != nil {
			t.Fatal(err)
		}
		rs, err := pq.Eval(ctx, rego.EvalVirtualCache(e.static.cache()), rego.EvalGenerateJSON(rawTerm))
		if err != nil || len(rs) != 1 {
			t.Fatalf("%s: %v %v", q, rs, err)
		}
		if got := rs[0].Bindings["x"].(*ast.Term).String(); got != want {
			t.Errorf("%s: got %s, want %s", q, got, want)
		}
	}
	plain := newTestEngine(t, cfg)
	plain.static = staticValues{}
	files, _ := filepath.Glob(filepath.Join(shareddata.Path(t, "conformance/pss"), "conformance", "pss", "*", "*", "*.yaml"))
	if len(files) == 0 {
		t.Fatal("no PSS fixtures")
	}
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		a, err1 := e.Analyze(ctx, Input{Path: f, Text: string(text)}, nil)
		b, err2 := plain.Analyze(ctx, Input{Path: f, Text: string(text)}, nil)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if !reflect.DeepEqual(a.Findings, b.Findings) {
			t.Errorf("%s: seeded %v\nplain %v", f, a.Findings, b.Findings)
		}
	}
}

// TestStaticRulesReadNoInput: a rule that reads the input is never seeded, even when every rule
// it depends on is input-free (a helper function), and neither is a rule that depends on it.
// Seeding one would freeze the value it has for no input: rbac-unauthenticated-binding's
// exemption of the upstream discovery bindings (through lib.rbac.role_ref) never held.
func TestStaticRulesReadNoInput(t *testing.T) {
	mod, err := ast.ParseModuleWithOpts("static.rego", `package kubepolicy.static_test

f(x) := x

direct := f(input.a)

indirect if direct == 1

constant := f(1)

from_constant if constant == 1
`, ast.ParserOptions{RegoVersion: ast.RegoV1})
	if err != nil {
		t.Fatal(err)
	}
	mods := map[string]*ast.Module{"static.rego": mod}
	compiler := ast.NewCompiler()
	if compiler.Compile(mods); compiler.Failed() {
		t.Fatal(compiler.Errors)
	}
	s, err := evalStatic(context.Background(), compiler, inmem.New(), mods) // parsed, as prepare passes them
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[ast.String]bool{"constant": true, "from_constant": true, "direct": false, "indirect": false} {
		if s.names[name] != want {
			t.Errorf("%s seeded: %v, want %v", name, s.names[name], want)
		}
	}
}
