package workspace

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
	"github.com/kube-policy-ls/kube-policy-ls/internal/testtree"
)

func customRule(id string) string {
	return "# METADATA\n# title: " + id + "\n# custom:\n#   id: " + id + "\n#   severity: low\npackage acme.x\n\nviolations contains v if {\n\tinput.kind == \"Pod\"\n\tv := {\"path\": [\"metadata\"], \"message\": \"" + id + "\"}\n}\n"
}

func TestFileGovernance(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	testtree.Write(t, dir, map[string]string{
		".kube-policy.yaml":     "profile: pss-baseline\nexclude: [\"charts/**\"]\n",
		"app/.kube-policy.yaml": "profile: pss-restricted\n",
		"app/pod.yaml":          "",
		"charts/sub/pod.yaml":   "",
	})
	ctx := context.Background()
	w := New(ctx, Options{})
	v, err := w.File(ctx, filepath.Join(dir, "app", "pod.yaml"))
	if err != nil || v.Err != nil || v.Engine == nil {
		t.Fatalf("app/pod.yaml: %+v, %v", v, err)
	}
	if v.Scope.Config != filepath.Join(dir, "app", analysis.ConfigFileName) || v.Engine.Profile() != "pss-restricted" || v.Excluded {
		t.Errorf("app/pod.yaml: governed by %s, profile %s, excluded %v", v.Scope.Config, v.Engine.Profile(), v.Excluded)
	}
	v, _ = w.File(ctx, filepath.Join(dir, "charts", "sub", "pod.yaml"))
	if !v.Excluded || v.Engine.Profile() != "pss-baseline" {
		t.Errorf("charts/sub/pod.yaml: excluded %v, profile %s", v.Excluded, v.Engine.Profile())
	}
	// A workspace folder bounds the lookup: the configuration above it does not apply.
	w.SetFolders([]string{filepath.Join(dir, "charts")})
	if sc := w.ScopeOf(filepath.Join(dir, "charts", "sub", "pod.yaml")); sc.Config != "" || sc.Folder != filepath.Join(dir, "charts") {
		t.Errorf("inside a folder: scope %+v", sc)
	}
}

func TestOverrideAndOverlay(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	testtree.Write(t, dir, map[string]string{
		".kube-policy.yaml": "profile: pss-baseline\n",
		"other.yaml":        "profile: pss-restricted\nexclude: [\"gen\"]\n",
	})
	ctx := context.Background()
	w := New(ctx, Options{ConfigFile: filepath.Join(dir, "other.yaml")})
	v, err := w.File(ctx, filepath.Join(dir, "gen", "a.yaml"))
	if err != nil || v.Engine.Profile() != "pss-restricted" || !v.Excluded {
		t.Fatalf("the override file does not govern: %+v, %v", v, err)
	}
	w.SetOverlay(analysis.Config{Profile: "default"})
	if v, _ = w.File(ctx, filepath.Join(dir, "a.yaml")); v.Engine.Profile() != "default" {
		t.Errorf("overlay profile: %s", v.Engine.Profile())
	}
	w.SetOverlay(analysis.Config{Profile: "strict"})
	if v, _ = w.File(ctx, filepath.Join(dir, "a.yaml")); v.Err == nil || v.Engine == nil {
		t.Errorf("an overlay that does not build: %+v", v)
	}
}

// A configuration file that stops validating leaves the last good engine in force, and the
// build says whose fault it is.
func TestLastGoodEngineStays(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, analysis.ConfigFileName)
	testtree.Write(t, dir, map[string]string{analysis.ConfigFileName: "profile: pss-restricted\n"})
	ctx := context.Background()
	var mu sync.Mutex
	var builds []Build
	w := New(ctx, Options{Hooks: Hooks{Built: func(b Build) { mu.Lock(); builds = append(builds, b); mu.Unlock() }}})
	pod := filepath.Join(dir, "pod.yaml")
	first, _ := w.File(ctx, pod)
	testtree.Write(t, dir, map[string]string{analysis.ConfigFileName: "profile: pss-restricted\nrules: {no-such-rule: {enabled: false}}\n"})
	if got := w.Reload(func(sc Scope) bool { return sc.Config == cfg }); len(got) != 1 {
		t.Fatalf("reloaded %v", got)
	}
	v, _ := w.File(ctx, pod)
	if v.Engine != first.Engine || v.Err == nil {
		t.Errorf("after a bad edit: engine kept %v, err %v", v.Engine == first.Engine, v.Err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(builds) != 2 || !builds[0].Installed || builds[1].Installed || builds[1].FileErr == nil || builds[1].SettingsErr != nil {
		t.Errorf("builds: %+v", builds)
	}
	if dropped := w.ForgetConfig(cfg); len(dropped) != 1 || len(w.Engines()) != 0 {
		t.Errorf("ForgetConfig dropped %v, %d engines left", dropped, len(w.Engines()))
	}
}

// Callers that ask for a scope's engine while it is built share one build.
func TestConcurrentCallersShareABuild(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	var mu sync.Mutex
	n := 0
	w := New(ctx, Options{Hooks: Hooks{Built: func(Build) { mu.Lock(); n++; mu.Unlock() }}})
	var wg sync.WaitGroup
	engines := make([]*analysis.Engine, 8)
	for i := range engines {
		wg.Go(func() {
			v, _ := w.File(ctx, filepath.Join(dir, "pod.yaml"))
			engines[i] = v.Engine
		})
	}
	wg.Wait()
	for _, e := range engines {
		if e == nil || e != engines[0] {
			t.Fatal("callers got different engines")
		}
	}
	if n != 1 {
		t.Errorf("%d builds, want 1", n)
	}
}

// The catalog is the union of every configuration's rules.
func TestCatalogUnion(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	testtree.Write(t, dir, map[string]string{
		"a/.kube-policy.yaml": "policies: [p]\n", "a/p/r.rego": customRule("a-rule"),
		"b/.kube-policy.yaml": "policies: [p]\n", "b/p/r.rego": customRule("b-rule"),
	})
	ctx := context.Background()
	w := New(ctx, Options{})
	for _, d := range []string{"b", "a"} {
		if v, err := w.File(ctx, filepath.Join(dir, d, "pod.yaml")); err != nil || v.Err != nil {
			t.Fatalf("%s: %v %v", d, err, v.Err)
		}
	}
	ids := map[string]int{}
	cat := w.Catalog()
	for i, r := range cat {
		ids[r.ID] = i
		if i > 0 && cat[i-1].ID >= r.ID {
			t.Errorf("catalog not sorted by id at %s", r.ID)
		}
	}
	if _, ok := ids["a-rule"]; !ok {
		t.Error("a-rule missing")
	}
	if _, ok := ids["b-rule"]; !ok {
		t.Error("b-rule missing")
	}
	// A changed policy rebuilds the engine that loads it, not the other.
	got := w.ReloadPolicies([]string{filepath.Join(dir, "a", "p", "r.rego")})
	if len(got) != 1 || got[0].Config != filepath.Join(dir, "a", analysis.ConfigFileName) {
		t.Errorf("ReloadPolicies rebuilt %v", got)
	}
}

// A file belongs to the chart of the nearest Chart.yaml above it, and a subchart under
// charts/ to its parent; a directory without one above it has no chart.
func TestChartRoot(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, p := range []string{"app/Chart.yaml", "app/charts/db/Chart.yaml", "app/charts/db/charts/lib/Chart.yaml", "app/examples/demo/Chart.yaml", "loose/templates/x.yaml"} {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte("x: 1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct{ path, want string }{
		{"app/templates/deploy.yaml", "app"},
		{"app/values.yaml", "app"},
		{"app/charts/db/templates/sts.yaml", "app"},
		{"app/charts/db/charts/lib/templates/_h.tpl", "app"},
		{"app/examples/demo/templates/a.yaml", "app/examples/demo"},
		{"loose/templates/x.yaml", ""},
	} {
		want := ""
		if tt.want != "" {
			want = filepath.Join(dir, tt.want)
		}
		if got := ChartRoot(filepath.Join(dir, tt.path), dir); got != want {
			t.Errorf("ChartRoot(%s) = %q, want %q", tt.path, got, want)
		}
	}
}
