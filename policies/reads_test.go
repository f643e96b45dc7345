package policies

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/tester"
	"github.com/open-policy-agent/opa/v1/types"

	"github.com/kube-policy-ls/kube-policy-ls/analysis/reads"
)

// projectBuiltin is the function the rewritten tests call on every input they set.
const projectBuiltin = "kpl_project_input"

// TestRulesDeclareWhatTheyRead runs every rule's Rego unit tests with each input replaced by its
// projection onto the rule's custom.reads (as the engine evaluates rules): a rule that reads a
// field its declaration leaves out sees it missing, and a test that expects a finding or a
// message built from that field fails.
func TestRulesDeclareWhatTheyRead(t *testing.T) {
	mods := ruleModules(t)
	declared := map[string]*reads.Set{}
	for name, m := range mods {
		if !strings.HasPrefix(name, "rules/") || strings.HasSuffix(name, "_test.rego") {
			continue
		}
		paths, err := declaredReads(m)
		if err != nil || len(paths) == 0 {
			t.Errorf("%s: custom.reads %v: every built-in rule names the paths it reads", name, err)
			continue
		}
		set, err := reads.Parse(paths)
		if err != nil {
			t.Errorf("%s: custom.reads: %v", name, err)
			continue
		}
		declared[name] = set
	}
	if failed := projectedTestFailures(t, mods, declared); len(failed) > 0 {
		for _, f := range failed {
			t.Error(f)
		}
	}
	// The check sees what a rule reads, or it could not fail where it matters: with nothing but
	// kind and apiVersion declared, the tests of nearly every rule fail.
	bare, _ := reads.Parse(nil)
	nothing := map[string]*reads.Set{}
	for name := range declared {
		nothing[name] = bare
	}
	failedRules := map[string]bool{}
	for _, f := range projectedTestFailures(t, mods, nothing) {
		failedRules[strings.SplitN(f, ":", 2)[0]] = true
	}
	if len(failedRules) < len(declared)*9/10 {
		t.Errorf("with no reads declared, the tests of only %d of %d rules fail", len(failedRules), len(declared))
	}
}

// declaredReads is a module's custom.reads.
func declaredReads(m *ast.Module) ([]string, error) {
	for _, a := range m.Annotations {
		if a.Scope == "package" {
			return stringList(a.Custom["reads"])
		}
	}
	return nil, fmt.Errorf("no package METADATA")
}

// projectedTestFailures runs the rules' tests with every `with input as x` of rules/R_test.rego
// rewritten to the projection of x onto the reads of rules/R.rego, and lists the failures as
// "rules/R.rego: test: error".
func projectedTestFailures(t *testing.T, mods map[string]*ast.Module, sets map[string]*reads.Set) []string {
	t.Helper()
	rewritten := map[string]*ast.Module{}
	for name, m := range mods {
		rule := strings.TrimSuffix(name, "_test.rego") + ".rego"
		if !strings.HasPrefix(name, "rules/") || !strings.HasSuffix(name, "_test.rego") || sets[rule] == nil {
			rewritten[name] = m
			continue
		}
		c := m.Copy()
		ast.WalkWiths(c, func(w *ast.With) bool {
			if w.Target.String() == "input" {
				w.Value = ast.CallTerm(ast.RefTerm(ast.VarTerm(projectBuiltin)), ast.StringTerm(rule), w.Value)
			}
			return false
		})
		rewritten[name] = c
	}
	project := &tester.Builtin{
		Decl: &ast.Builtin{Name: projectBuiltin, Decl: types.NewFunction(types.Args(types.S, types.A), types.A)},
		Func: rego.Function2(&rego.Function{Name: projectBuiltin, Decl: types.NewFunction(types.Args(types.S, types.A), types.A)},
			func(_ rego.BuiltinContext, rule, x *ast.Term) (*ast.Term, error) {
				name, _ := rule.Value.(ast.String)
				return ast.NewTerm(sets[string(name)].Project(x.Value)), nil
			}),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	ch, err := tester.NewRunner().SetModules(rewritten).AddCustomBuiltins([]*tester.Builtin{project}).SetTimeout(30*time.Second).RunTests(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var failed []string
	for r := range ch {
		if r.Fail || r.Error != nil {
			file := r.Location.File
			failed = append(failed, fmt.Sprintf("%s: %s.%s fails on the projection of its input: %v", strings.TrimSuffix(file, "_test.rego")+".rego", r.Package, r.Name, r.Error))
		}
	}
	return failed
}
