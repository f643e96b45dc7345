package policies

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/loader"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/tester"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// kindsWorkloads is the symbolic entry of custom.kinds for every pod-bearing kind
// (analysis.KindWorkloads; this package cannot import analysis, which embeds it).
const kindsWorkloads = "workloads"

// violationKinds records, per rule package, the kind of every input a violations rule body
// succeeded on: the kinds the rule's Rego really reads.
type violationKinds struct {
	mu   sync.Mutex
	seen map[string]map[string]bool
}

func (v *violationKinds) Enabled() bool                { return true }
func (v *violationKinds) Config() topdown.TraceConfig  { return topdown.TraceConfig{} }
func (v *violationKinds) TraceEvent(evt topdown.Event) { v.record(&evt) }

func (v *violationKinds) record(evt *topdown.Event) {
	r, ok := evt.Node.(*ast.Rule)
	if evt.Op != topdown.ExitOp || !ok || r.Module == nil || r.Head.Ref().String() != "violations" {
		return
	}
	pkg := r.Module.Package.Path.String()
	if !strings.HasPrefix(pkg, "data.kubepolicy.rules.") || evt.Input() == nil {
		return
	}
	obj, ok := evt.Input().Value.(ast.Object)
	if !ok {
		return
	}
	kind, _ := obj.Get(ast.StringTerm("kind")).Value.(ast.String)
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.seen[pkg] == nil {
		v.seen[pkg] = map[string]bool{}
	}
	v.seen[pkg][string(kind)] = true
}

// ruleModules loads the policies with their tests, as opa test does.
func ruleModules(t *testing.T) map[string]*ast.Module {
	t.Helper()
	loaded, err := loader.NewFileLoader().WithFS(FS).WithProcessAnnotation(true).WithRegoVersion(ast.RegoV1).All([]string{"lib", "rules"})
	if err != nil {
		t.Fatal(err)
	}
	mods := map[string]*ast.Module{}
	for name, m := range loaded.Modules {
		mods[name] = m.Parsed
	}
	return mods
}

// declaredKinds reads every rule's custom.kinds, with "workloads" expanded to lib.workload_kinds.
func declaredKinds(t *testing.T, mods map[string]*ast.Module) map[string]map[string]bool {
	t.Helper()
	rs, err := rego.New(rego.Query("data.kubepolicy.lib.workload_kinds"), rego.ParsedModule(mods[path.Join("lib", "kubernetes.rego")])).Eval(context.Background())
	if err != nil || len(rs) != 1 {
		t.Fatalf("lib.workload_kinds: %v %v", rs, err)
	}
	workloads, _ := rs[0].Expressions[0].Value.([]any)
	if len(workloads) < 5 {
		t.Fatalf("lib.workload_kinds is %v", workloads)
	}
	out := map[string]map[string]bool{}
	for name, m := range mods {
		if !strings.HasPrefix(name, "rules/") || strings.HasSuffix(name, "_test.rego") {
			continue
		}
		pkg := m.Package.Path.String()
		out[pkg] = map[string]bool{}
		for _, a := range m.Annotations {
			if a.Scope != "package" {
				continue
			}
			kinds, err := stringList(a.Custom["kinds"])
			if err != nil || len(kinds) == 0 {
				t.Errorf("%s: custom.kinds %v: every built-in rule names the kinds it reads", name, err)
			}
			for _, k := range kinds {
				if k == kindsWorkloads {
					for _, w := range workloads {
						out[pkg][fmt.Sprint(w)] = true
					}
				} else {
					out[pkg][k] = true
				}
			}
		}
	}
	return out
}

// TestRulesDeclareTheKindsTheyRead runs every rule's Rego unit tests and checks that no
// violation comes from an object whose kind the rule does not declare in custom.kinds: the
// engine evaluates an object only when an enabled rule declares its kind, so such a violation
// would never be reported.
func TestRulesDeclareTheKindsTheyRead(t *testing.T) {
	mods := ruleModules(t)
	declared := declaredKinds(t, mods)
	tracer := &violationKinds{seen: map[string]map[string]bool{}}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	ch, err := tester.NewRunner().SetModules(mods).SetTimeout(30*time.Second).SetCoverageQueryTracer(tracer).RunTests(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for r := range ch {
		if r.Fail || r.Error != nil {
			t.Errorf("%s.%s failed: %v", r.Package, r.Name, r.Error)
		}
	}
	for _, msg := range undeclaredKinds(declared, tracer.seen) {
		t.Error(msg)
	}
	// The check sees more than workloads, or it could not fail where it matters.
	for pkg, kind := range map[string]string{
		"data.kubepolicy.rules.host_path_volumes":       "PodSecurityPolicy",
		"data.kubepolicy.rules.vulnerable_volume_types": "StorageClass",
		"data.kubepolicy.rules.cpu_limits":              "Deployment",
	} {
		if !tracer.seen[pkg][kind] {
			t.Errorf("no violation of %s on a %s was seen: the tracer misses violations", pkg, kind)
		}
	}
	if msgs := undeclaredKinds(map[string]map[string]bool{}, tracer.seen); len(msgs) < len(declared) {
		t.Errorf("with no kinds declared, only %d of %d rules are reported", len(msgs), len(declared))
	}
}

// undeclaredKinds lists each kind a rule produced a violation on without declaring it.
func undeclaredKinds(declared, seen map[string]map[string]bool) []string {
	var out []string
	for pkg, kinds := range seen {
		for kind := range kinds {
			if !declared[pkg][kind] {
				out = append(out, fmt.Sprintf("%s reports a violation on a %s, which its custom.kinds does not declare", strings.TrimPrefix(pkg, "data."), kind))
			}
		}
	}
	slices.Sort(out)
	return out
}
