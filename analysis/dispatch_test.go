package analysis

import (
	"context"
	"reflect"
	"slices"
	"sort"
	"sync"
	"testing"

	"github.com/kube-policy-ls/kube-policy-ls/internal/parallel"
)

// TestGroupRules: each kind gets the rules that name it (workloads expanded, a kind named
// twice counted once) plus the rules without kinds, in rule order; kinds with the same rules
// share one set; a kind no rule names gets the kindless rules, or nothing.
func TestGroupRules(t *testing.T) {
	t.Parallel()
	workloads := []string{"Pod", "Deployment"}
	rules := []Rule{
		{ID: "a", Kinds: []string{KindWorkloads, "PodSecurityPolicy"}},
		{ID: "b", Kinds: []string{"Role", "ClusterRole"}},
		{ID: "c", Kinds: []string{"ClusterRole"}},
		{ID: "d", Kinds: []string{KindWorkloads, "Pod"}},
		{ID: "e", Kinds: []string{"Service"}},
	}
	check := func(name string, byKind map[string]*ruleSet, other *ruleSet, want map[string][]int) {
		t.Helper()
		got := map[string][]int{}
		for k, s := range byKind {
			got[k] = s.rules
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: groups %v, want %v", name, got, want)
		}
		if byKind["Pod"] != byKind["Deployment"] {
			t.Errorf("%s: Pod and Deployment have the same rules but two sets", name)
		}
		sets := map[*ruleSet]bool{}
		for _, s := range byKind {
			sets[s] = true
		}
		keys := map[string]bool{}
		for s := range sets {
			keys[setKey(s.rules)] = true
		}
		if len(keys) != len(sets) {
			t.Errorf("%s: %d sets for %d distinct groups", name, len(sets), len(keys))
		}
	}

	byKind, other := groupRules(rules, workloads)
	check("with kinds", byKind, other, map[string][]int{
		"Pod": {0, 3}, "Deployment": {0, 3}, "PodSecurityPolicy": {0},
		"Role": {1}, "ClusterRole": {1, 2}, "Service": {4},
	})
	if other != nil {
		t.Errorf("other kinds get rules %v, with every rule declaring kinds", other.rules)
	}

	withKindless := slices.Insert(slices.Clone(rules), 2, Rule{ID: "any"})
	byKind, other = groupRules(withKindless, workloads)
	check("with a kindless rule", byKind, other, map[string][]int{
		"Pod": {0, 2, 4}, "Deployment": {0, 2, 4}, "PodSecurityPolicy": {0, 2},
		"Role": {1, 2}, "ClusterRole": {1, 2, 3}, "Service": {2, 5},
	})
	if other == nil || !slices.Equal(other.rules, []int{2}) {
		t.Errorf("other kinds get %v, want the kindless rule [2]", other)
	}
}

// TestEngineDispatch: under the all profile an object runs only its kind's rules: fewer than
// all enabled rules, and every rule that declares the kind.
func TestEngineDispatch(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Config{Profile: "all"})
	for _, kind := range []string{"ConfigMap", "ClusterRole", "Deployment", "Service"} {
		set := e.rulesFor(kind)
		if set == nil {
			t.Fatalf("%s: no rules", kind)
		}
		if len(set.rules) >= len(e.enabled) {
			t.Errorf("%s runs all %d rules", kind, len(e.enabled))
		}
		for i, r := range e.enabled {
			declares := slices.Contains(r.Kinds, kind) || (slices.Contains(r.Kinds, KindWorkloads) && kind == "Deployment")
			if declares != slices.Contains(set.rules, i) {
				t.Errorf("%s: rule %s declares it: %v, is evaluated: %v", kind, r.ID, declares, !declares)
			}
		}
	}
	if e.rulesFor("CustomResourceDefinition") != nil {
		t.Error("a kind no rule reads has rules")
	}
}

// undispatched makes e evaluate every enabled rule on every inspected object, as the engine did
// before per-kind dispatch.
func undispatched(e *Engine) {
	all := &ruleSet{}
	for i := range e.enabled {
		all.rules = append(all.rules, i)
	}
	for k := range e.byKind {
		e.byKind[k] = all
	}
	if e.otherKinds != nil {
		e.otherKinds = all
	}
}

// TestDispatchCorpusIdentical: on every corpus file, under the all and default profiles, the
// findings (their order included), suppressed findings and errors are the same with per-kind
// dispatch as with every rule evaluated on every inspected object.
func TestDispatchCorpusIdentical(t *testing.T) {
	t.Parallel()
	files := corpusFiles(t)
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, profile := range []string{"all", "default"} {
		t.Run(profile, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			dispatched, plain := newTestEngine(t, Config{Profile: profile}), newTestEngine(t, Config{Profile: profile})
			undispatched(plain)
			var mu sync.Mutex
			findings := 0
			used := map[*ruleSet]bool{}
			parallel.Each(len(paths), func(i int) {
				in := Input{Path: paths[i], Text: files[paths[i]]}
				a, err1 := dispatched.Analyze(ctx, in, nil)
				b, err2 := plain.Analyze(ctx, in, nil)
				if err1 != nil || err2 != nil {
					t.Errorf("%s: %v, %v", in.Path, err1, err2)
					return
				}
				if !reflect.DeepEqual(a.Findings, b.Findings) || !reflect.DeepEqual(a.Suppressed, b.Suppressed) ||
					!reflect.DeepEqual(a.PolicyErrors, b.PolicyErrors) || a.Objects != b.Objects || a.Skipped != b.Skipped {
					t.Errorf("%s: dispatched %d findings, %d suppressed; undispatched %d, %d", in.Path, len(a.Findings), len(a.Suppressed), len(b.Findings), len(b.Suppressed))
				}
				for j := range a.Docs {
					if (a.Docs[j].Err == nil) != (b.Docs[j].Err == nil) {
						t.Errorf("%s: document %d: errors %v and %v", in.Path, j, a.Docs[j].Err, b.Docs[j].Err)
					}
				}
				mu.Lock()
				defer mu.Unlock()
				findings += len(a.Findings)
				for _, d := range a.Docs {
					for _, obj := range d.Objects {
						if s := dispatched.rulesFor(obj.Ref.Kind); s != nil {
							used[s] = true
						}
					}
				}
			})
			// A comparison of nothing would pass: make sure the corpus exercised the dispatch.
			if findings < 1000 || len(used) < 2 {
				t.Errorf("%d findings over %d rule sets: the corpus did not exercise dispatch", findings, len(used))
			}
			if !t.Failed() {
				t.Logf("%s: %d findings, %d rule sets used, identical", profile, findings, len(used))
			}
		})
	}
}

// TestRuleSetPreparedOnce: concurrent first uses of a fresh engine (run it with -race) prepare
// each set once and agree, and a first use under a cancelled context does not leave the set
// broken for the next callers. (OPA v1.22's preparation does not look at the context; the
// check guards the sync.Once against a version that does.)
func TestRuleSetPreparedOnce(t *testing.T) {
	t.Parallel()
	text := typicalDeployment + "---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  type: NodePort\n  externalIPs: [1.2.3.4]\n"
	ref := analyzeText(t, newTestEngine(t, Config{Profile: "all"}), text)
	if len(ref.Findings) == 0 {
		t.Fatal("no findings to compare")
	}

	e := newTestEngine(t, Config{Profile: "all"})
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.prepared(cancelled, e.rulesFor("Service")); err != nil {
		t.Fatalf("preparing under a cancelled context: %v", err)
	}
	results := make([]*Result, 8)
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() { results[i] = analyzeText(t, e, text) })
	}
	wg.Wait()
	for i, res := range results {
		if !reflect.DeepEqual(res.Findings, ref.Findings) {
			t.Errorf("analysis %d: %v\nwant %v", i, rulesOf(res.Findings), rulesOf(ref.Findings))
		}
	}
}
