package policies

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/loader"
	"github.com/open-policy-agent/opa/v1/tester"
)

// TestRego runs every Rego unit test of the embedded policies (lib and rules) through OPA's test
// runner and reports each failing or erroring test by name.
func TestRego(t *testing.T) {
	results, err := runRegoTests(FS)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) == 0 {
		t.Fatal("no Rego tests found in the embedded policies")
	}
	problems := regoFailures(results)
	for _, p := range problems {
		t.Error(p)
	}
	t.Logf("%d Rego tests, %d failed or errored", len(results), len(problems))
}

// runRegoTests compiles lib/ and rules/ of fsys (Rego v1, annotations processed) and runs their tests.
func runRegoTests(fsys fs.FS) ([]*tester.Result, error) {
	loaded, err := loader.NewFileLoader().
		WithFS(fsys).
		WithProcessAnnotation(true).
		WithRegoVersion(ast.RegoV1).
		All([]string{"lib", "rules"})
	if err != nil {
		return nil, fmt.Errorf("loading the policies: %w", err)
	}
	modules := make(map[string]*ast.Module, len(loaded.Modules))
	for name, m := range loaded.Modules {
		modules[name] = m.Parsed
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	ch, err := tester.NewRunner().
		SetModules(modules).
		SetTimeout(30*time.Second).
		RunTests(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("compiling the policies: %w", err)
	}
	var results []*tester.Result
	for r := range ch {
		results = append(results, r)
	}
	sort.Slice(results, func(i, j int) bool {
		if results[i].Package != results[j].Package {
			return results[i].Package < results[j].Package
		}
		return results[i].Name < results[j].Name
	})
	return results, nil
}

// regoFailures describes each failing or erroring test, by package and name.
func regoFailures(results []*tester.Result) []string {
	var out []string
	for _, r := range results {
		switch {
		case r.Error != nil:
			out = append(out, fmt.Sprintf("%s.%s (%s): ERROR: %v", r.Package, r.Name, location(r), r.Error))
		case r.Fail:
			msg := fmt.Sprintf("%s.%s (%s): FAIL", r.Package, r.Name, location(r))
			if r.FailedAt != nil {
				msg += fmt.Sprintf(" at %v", r.FailedAt)
			}
			if len(r.Output) > 0 {
				msg += "\n" + string(r.Output)
			}
			out = append(out, msg)
		}
	}
	return out
}

// TestRegoHarnessReportsFailures makes sure a failing and an erroring Rego test are reported by name.
func TestRegoHarnessReportsFailures(t *testing.T) {
	fsys := fstest.MapFS{
		"lib/l.rego": {Data: []byte("package kubepolicy.lib\n\nx := 1\n")},
		"rules/r_test.rego": {Data: []byte(`package kubepolicy.rules.r_test

import data.kubepolicy.lib

conflict := 1 if true

conflict := 2 if true

test_passes if lib.x == 1

test_fails if lib.x == 2

test_errors if conflict == 1
`)},
	}
	results, err := runRegoTests(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 3 {
		t.Fatalf("got %d results, want 3", len(results))
	}
	problems := regoFailures(results)
	if len(problems) != 2 ||
		!strings.Contains(problems[0], "r_test.test_errors") || !strings.Contains(problems[0], "ERROR") ||
		!strings.Contains(problems[1], "r_test.test_fails") || !strings.Contains(problems[1], "FAIL") {
		t.Errorf("want test_errors (ERROR) and test_fails (FAIL) reported, got %q", problems)
	}
}

func location(r *tester.Result) string {
	if r.Location == nil {
		return "?"
	}
	return fmt.Sprintf("%s:%d", r.Location.File, r.Location.Row)
}

// catalog is the rule table of RULES.md and RULES-NEXT.md: severity, profiles and Terrascan ids per rule id.
// catalog is the rule table of RULES.md (and RULES-NEXT.md section 4): severity, profiles and Terrascan ids per rule id.
var catalog = map[string]struct {
	severity  string
	profiles  []string
	terrascan []string
}{
	"cpu-limits":                 {"medium", []string{"default"}, []string{"AC_K8S_0098"}},
	"cpu-requests":               {"medium", []string{"default"}, []string{"AC_K8S_0097"}},
	"memory-limits":              {"medium", []string{"default"}, []string{"AC_K8S_0100"}},
	"memory-requests":            {"medium", []string{"default"}, []string{"AC_K8S_0099"}},
	"privileged-container":       {"critical", []string{"default", "pss-baseline", "pss-restricted"}, []string{"AC_K8S_0046"}},
	"allow-privilege-escalation": {"high", []string{"default", "pss-restricted"}, []string{"AC_K8S_0085"}},
	"host-ipc":                   {"high", []string{"default", "pss-baseline", "pss-restricted"}, []string{"AC_K8S_0083"}},
	"host-pid":                   {"high", []string{"default", "pss-baseline", "pss-restricted"}, []string{"AC_K8S_0082"}},
	"host-network":               {"high", []string{"default", "pss-baseline", "pss-restricted"}, []string{"AC_K8S_0084"}},
	"run-as-high-uid":            {"low", []string{"default"}, []string{"AC_K8S_0079"}},
	"read-only-root-filesystem":  {"medium", []string{"default"}, []string{"AC_K8S_0078"}},
	"docker-socket-mount":        {"critical", []string{"default"}, []string{"AC_K8S_0088"}},
	"cap-sys-admin":              {"critical", []string{"default", "pss-baseline", "pss-restricted"}, []string{"AC_K8S_0075"}},
	"capabilities-added":         {"medium", []string{"default", "pss-baseline", "pss-restricted"}, []string{}},
	"capabilities-drop-all":      {"medium", []string{"default", "pss-restricted"}, []string{}},
	"run-as-non-root":            {"high", []string{"default", "pss-restricted"}, []string{"AC_K8S_0087"}},
	"apparmor-profile":           {"medium", []string{"default", "pss-baseline", "pss-restricted"}, []string{"AC_K8S_0073"}},
	"seccomp-profile":            {"medium", []string{"default", "pss-baseline", "pss-restricted"}, []string{"AC_K8S_0080"}},
	"forbidden-sysctls":          {"high", []string{"default", "pss-baseline", "pss-restricted"}, []string{"AC_K8S_0074"}},
	"vulnerable-volume-types":    {"high", []string{"default"}, []string{"AC_K8S_0130"}},
	"host-ports":                 {"medium", []string{"default", "pss-baseline", "pss-restricted"}, []string{}},
	"host-path-volumes":          {"high", []string{"default", "pss-baseline", "pss-restricted"}, []string{}},
	"selinux-options":            {"high", []string{"default", "pss-baseline", "pss-restricted"}, []string{}},
	"proc-mount":                 {"high", []string{"default", "pss-baseline", "pss-restricted"}, []string{}},
	"windows-host-process":       {"critical", []string{"default", "pss-baseline", "pss-restricted"}, []string{}},
	"host-probes":                {"medium", []string{"default", "pss-baseline", "pss-restricted"}, []string{}},
	"restricted-volume-types":    {"medium", []string{"default", "pss-restricted"}, []string{}},
	// RULES-NEXT.md section 4: lowest tier only (recommended or all).
	"default-service-account":         {"low", []string{"recommended"}, []string{"AC_K8S_0113"}},
	"automount-service-account-token": {"low", []string{"all"}, []string{"AC_K8S_0045"}},
	"env-duplicate-name":              {"low", []string{"recommended"}, []string{}},
	"run-as-root-group":               {"medium", []string{"recommended"}, []string{}},
	"git-repo-volume":                 {"high", []string{"recommended"}, []string{}},
	// RULES-NEXT.md sections 4.5 and 4.6: networking and secrets.
	"service-external-ips":       {"high", []string{"recommended"}, []string{"AC_K8S_0112"}},
	"ingress-nginx-snippets":     {"high", []string{"recommended"}, []string{"AC_K8S_0050"}},
	"service-nodeport":           {"low", []string{"all"}, []string{"AC_K8S_0111"}},
	"ingress-tls":                {"medium", []string{"all"}, []string{"AC_K8S_0002"}},
	"env-plaintext-secret":       {"high", []string{"recommended"}, []string{}},
	"configmap-plaintext-secret": {"high", []string{"recommended"}, []string{}},
	"env-secret-ref":             {"low", []string{"all"}, []string{"AC_K8S_0051"}},
	// RULES-NEXT.md sections 4.1, 4.2 and 4.7: images, probes, namespaces.
	"image-latest-tag":  {"medium", []string{"recommended"}, []string{"AC_K8S_0068"}},
	"image-registry":    {"medium", []string{"recommended"}, []string{}},
	"image-digest":      {"low", []string{"all"}, []string{"AC_K8S_0069"}},
	"image-pull-policy": {"low", []string{"all"}, []string{"AC_K8S_0021"}},
	"liveness-probe":    {"low", []string{"all"}, []string{"AC_K8S_0070"}},
	"readiness-probe":   {"low", []string{"all"}, []string{"AC_K8S_0072"}},
	"default-namespace": {"low", []string{"all"}, []string{"AC_K8S_0086"}},
	// RULES-NEXT.md section 4.4: the RBAC rules.
	"rbac-full-wildcard":           {"high", []string{"recommended"}, []string{}},
	"rbac-secrets-access":          {"high", []string{"recommended"}, []string{}},
	"rbac-escalate-bind":           {"high", []string{"recommended"}, []string{}},
	"rbac-impersonate":             {"high", []string{"recommended"}, []string{}},
	"rbac-pod-exec":                {"high", []string{"recommended"}, []string{}},
	"rbac-node-proxy":              {"high", []string{"recommended"}, []string{}},
	"rbac-cluster-admin-binding":   {"high", []string{"recommended"}, []string{}},
	"rbac-unauthenticated-binding": {"critical", []string{"recommended"}, []string{}},
	"rbac-wildcard":                {"low", []string{"all"}, []string{}},
	"rbac-admission-control":       {"medium", []string{"all"}, []string{}},
}

var (
	severities = []string{"critical", "high", "medium", "low"}
	profiles   = []string{"default", "recommended", "all", "pss-baseline", "pss-restricted"}
	// pssChecks are the Pod Security Admission check ids.
	pssChecks = []string{
		"privileged", "hostNamespaces", "hostPathVolumes", "hostPorts", "hostProbesAndHostLifecycle",
		"capabilities_baseline", "capabilities_restricted", "appArmorProfile", "seccompProfile_baseline",
		"seccompProfile_restricted", "seLinuxOptions", "procMount", "procMount_restricted", "sysctls",
		"windowsHostProcess", "allowPrivilegeEscalation", "restrictedVolumes", "runAsNonRoot", "runAsUser",
	}
	terrascanID = regexp.MustCompile(`^AC_K8S_[0-9]{4}$`)
)

// minDescription is the shortest description accepted: hover needs a paragraph, not a title.
const minDescription = 100

// TestRuleMetadata checks every rule file present under rules/ (rules not written yet are not
// required): package-scope METADATA with the contract's keys, a violations rule, and a _test.rego
// with at least two tests.
func TestRuleMetadata(t *testing.T) {
	entries, err := fs.ReadDir(FS, "rules")
	if err != nil {
		t.Fatalf("reading rules/: %v", err)
	}
	names := map[string]bool{}
	for _, e := range entries {
		names[e.Name()] = true
	}
	checked := 0
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".rego") || strings.HasSuffix(name, "_test.rego") {
			continue
		}
		checked++
		stem := strings.TrimSuffix(name, ".rego")
		t.Run(stem, func(t *testing.T) {
			src, err := fs.ReadFile(FS, path.Join("rules", name))
			if err != nil {
				t.Fatal(err)
			}
			for _, err := range checkRule(name, src) {
				t.Error(err)
			}
			testName := stem + "_test.rego"
			if !names[testName] {
				t.Errorf("%s has no %s", name, testName)
				return
			}
			testSrc, err := fs.ReadFile(FS, path.Join("rules", testName))
			if err != nil {
				t.Fatal(err)
			}
			for _, err := range checkRuleTests(testName, stem, testSrc) {
				t.Error(err)
			}
		})
	}
	t.Logf("%d rule files checked", checked)
	for name := range names {
		if stem, ok := strings.CutSuffix(name, "_test.rego"); ok && !names[stem+".rego"] {
			t.Errorf("%s has no rule file %s.rego", name, stem)
		}
	}
}

func parse(file string, src []byte) (*ast.Module, error) {
	return ast.ParseModuleWithOpts(file, string(src), ast.ParserOptions{
		ProcessAnnotation: true,
		RegoVersion:       ast.RegoV1,
	})
}

func packageName(stem string) string {
	return "data.kubepolicy.rules." + strings.ReplaceAll(stem, "-", "_")
}

// checkRule returns every problem of one rule file: its package, its package-scope METADATA and its
// violations rule.
func checkRule(file string, src []byte) []error {
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{file}, args...)...))
	}
	mod, err := parse(file, src)
	if err != nil {
		fail("does not parse: %v", err)
		return errs
	}
	stem := strings.TrimSuffix(path.Base(file), ".rego")
	if got, want := mod.Package.Path.String(), packageName(stem); got != want {
		fail("package is %s, want %s", strings.TrimPrefix(got, "data."), strings.TrimPrefix(want, "data."))
	}
	if !slices.ContainsFunc(mod.Rules, func(r *ast.Rule) bool { return r.Head.Name.String() == "violations" }) &&
		!slices.ContainsFunc(mod.Rules, func(r *ast.Rule) bool { return r.Head.Ref().String() == "violations" }) {
		fail("defines no violations rule")
	}

	var a *ast.Annotations
	for _, ann := range mod.Annotations {
		if ann.Scope == "package" {
			if a != nil {
				fail("has more than one package-scope METADATA block")
			}
			a = ann
		}
	}
	if a == nil {
		fail("has no package-scope METADATA (put `# METADATA` right before `package`)")
		return errs
	}
	if strings.TrimSpace(a.Title) == "" {
		fail("METADATA has no title")
	}
	if d := strings.TrimSpace(a.Description); len(d) < minDescription {
		fail("METADATA description is %d characters; write a paragraph on why the rule matters (at least %d)", len(d), minDescription)
	}

	c := a.Custom
	if c == nil {
		fail("METADATA has no custom section")
		return errs
	}
	id, ok := c["id"].(string)
	if !ok || id != stem {
		fail("custom.id is %#v, want %q (the file name)", c["id"], stem)
	}
	severity, _ := c["severity"].(string)
	if !slices.Contains(severities, severity) {
		fail("custom.severity is %#v, want one of %v", c["severity"], severities)
	}
	profs, err := stringList(c["profiles"])
	switch {
	case err != nil:
		fail("custom.profiles: %v", err)
	case len(profs) == 0:
		fail("custom.profiles is empty")
	default:
		for _, p := range profs {
			if !slices.Contains(profiles, p) {
				fail("custom.profiles has %q, want a subset of %v", p, profiles)
			}
		}
	}
	pss, err := stringList(c["pss"])
	if err != nil {
		fail("custom.pss: %v", err)
	}
	for _, p := range pss {
		if !slices.Contains(pssChecks, p) {
			fail("custom.pss has %q, which is not a Pod Security Admission check id", p)
		}
	}
	ts, err := stringList(c["terrascan"])
	if err != nil {
		fail("custom.terrascan: %v", err)
	}
	for _, id := range ts {
		if !terrascanID.MatchString(id) {
			fail("custom.terrascan has %q, want AC_K8S_NNNN ids", id)
		}
	}
	if _, ok := c["fixable"].(bool); !ok {
		fail("custom.fixable is %#v, want a boolean", c["fixable"])
	}
	for _, key := range []string{"passes", "fix"} {
		if s, ok := c[key].(string); !ok || strings.TrimSpace(s) == "" {
			fail("custom.%s is %#v, want a non-empty string", key, c[key])
		}
	}

	if want, known := catalog[stem]; !known {
		fail("rule id %q is not in the RULES.md catalog", stem)
	} else {
		if severity != want.severity {
			fail("custom.severity is %q, RULES.md says %q", severity, want.severity)
		}
		if profs != nil && !sameSet(profs, want.profiles) {
			fail("custom.profiles is %v, RULES.md says %v", profs, want.profiles)
		}
		if ts != nil && !sameSet(ts, want.terrascan) {
			fail("custom.terrascan is %v, RULES.md says %v", ts, want.terrascan)
		}
	}
	return errs
}

// checkRuleTests returns the problems of a rule's test file: its package and its number of tests.
func checkRuleTests(file, stem string, src []byte) []error {
	mod, err := parse(file, src)
	if err != nil {
		return []error{fmt.Errorf("%s: does not parse: %v", file, err)}
	}
	var errs []error
	if got, want := mod.Package.Path.String(), packageName(stem)+"_test"; got != want {
		errs = append(errs, fmt.Errorf("%s: package is %s, want %s", file, strings.TrimPrefix(got, "data."), strings.TrimPrefix(want, "data.")))
	}
	tests := map[string]bool{}
	for _, r := range mod.Rules {
		if name := r.Head.Name.String(); strings.HasPrefix(name, tester.TestPrefix) {
			tests[name] = true
		}
	}
	if len(tests) < 2 {
		errs = append(errs, fmt.Errorf("%s: has %d test rules, want at least 2 (a passing and a failing case)", file, len(tests)))
	}
	return errs
}

func stringList(v any) ([]string, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("is %#v, want a list", v)
	}
	out := make([]string, 0, len(list))
	for _, x := range list {
		s, ok := x.(string)
		if !ok {
			return nil, fmt.Errorf("has %#v, want strings", x)
		}
		out = append(out, s)
	}
	return out, nil
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

// TestRuleMetadataCheckRejectsBadRules makes sure the metadata check fails where it must.
func TestRuleMetadataCheckRejectsBadRules(t *testing.T) {
	const good = `# METADATA
# title: Containers must not run privileged
# description: >-
#   A privileged container gets every capability and every device of the node; whoever runs code in it
#   owns the node and every pod scheduled there.
# custom:
#   id: privileged-container
#   severity: critical
#   profiles: [default, pss-baseline, pss-restricted]
#   pss: [privileged]
#   terrascan: [AC_K8S_0046]
#   fixable: true
#   passes: No container sets privileged.
#   fix: Sets privileged to false.
package kubepolicy.rules.privileged_container

violations contains v if {
	v := {"path": [], "message": "m", "fix": []}
}
`
	if errs := checkRule("privileged-container.rego", []byte(good)); len(errs) != 0 {
		t.Fatalf("the good rule is rejected: %v", errs)
	}

	bad := map[string]struct {
		file, old, new string
		want           string
	}{
		"no metadata":          {"privileged-container.rego", "# METADATA\n", "", "no package-scope METADATA"},
		"metadata on the rule": {"privileged-container.rego", "package kubepolicy.rules.privileged_container\n", "", "no package-scope METADATA"},
		"id is not the file":   {"privileged.rego", "", "", "custom.id"},
		"wrong package":        {"privileged-container.rego", "rules.privileged_container", "rules.privileged", "package is"},
		"no title":             {"privileged-container.rego", "# title: Containers must not run privileged\n", "", "no title"},
		"short description":    {"privileged-container.rego", "every capability and every device of the node; whoever runs code in it\n#   owns the node and every pod scheduled there.", "privileges.", "description"},
		"bad severity":         {"privileged-container.rego", "severity: critical", "severity: error", "custom.severity"},
		"catalog severity":     {"privileged-container.rego", "severity: critical", "severity: low", "RULES.md says"},
		"unknown profile":      {"privileged-container.rego", "profiles: [default, ", "profiles: [strict, default, ", "custom.profiles has"},
		"profiles not a list":  {"privileged-container.rego", "profiles: [default, pss-baseline, pss-restricted]", "profiles: default", "custom.profiles"},
		"catalog profiles":     {"privileged-container.rego", "profiles: [default, pss-baseline, pss-restricted]", "profiles: [default]", "RULES.md says"},
		"pss missing":          {"privileged-container.rego", "#   pss: [privileged]\n", "", "custom.pss"},
		"unknown pss check":    {"privileged-container.rego", "pss: [privileged]", "pss: [capabilities]", "not a Pod Security Admission check"},
		"bad terrascan id":     {"privileged-container.rego", "terrascan: [AC_K8S_0046]", "terrascan: [AC-K8S-46]", "custom.terrascan has"},
		"fixable not a bool":   {"privileged-container.rego", "fixable: true", "fixable: \"yes\"", "custom.fixable"},
		"no passes":            {"privileged-container.rego", "#   passes: No container sets privileged.\n", "", "custom.passes"},
		"no fix":               {"privileged-container.rego", "#   fix: Sets privileged to false.\n", "", "custom.fix"},
		"no violations":        {"privileged-container.rego", "violations contains v", "findings contains v", "no violations rule"},
		"not in catalog":       {"my-rule.rego", "id: privileged-container", "id: my-rule", "not in the RULES.md catalog"},
		"does not parse":       {"privileged-container.rego", "violations contains v if {", "violations contains v if", "does not parse"},
		"two package metadata": {"privileged-container.rego", "package kubepolicy", "\n# METADATA\n# scope: package\n# title: again\npackage kubepolicy", "more than one"},
	}
	for name, tc := range bad {
		t.Run(name, func(t *testing.T) {
			src := good
			if tc.old != "" {
				if !strings.Contains(src, tc.old) {
					t.Fatalf("test case does not apply: %q not in the good rule", tc.old)
				}
				src = strings.Replace(src, tc.old, tc.new, 1)
			}
			if name == "metadata on the rule" {
				// The same block, now after the package clause: it annotates the violations rule.
				src = "package kubepolicy.rules.privileged_container\n\n" + src
			}
			if tc.file == "my-rule.rego" {
				src = strings.Replace(src, "rules.privileged_container", "rules.my_rule", 1)
			}
			errs := checkRule(tc.file, []byte(src))
			if !slices.ContainsFunc(errs, func(err error) bool { return strings.Contains(err.Error(), tc.want) }) {
				t.Errorf("want an error containing %q, got %v", tc.want, errs)
			}
		})
	}

	const tests = `package kubepolicy.rules.privileged_container_test

test_a if true

test_b if true
`
	if errs := checkRuleTests("privileged-container_test.rego", "privileged-container", []byte(tests)); len(errs) != 0 {
		t.Errorf("good tests rejected: %v", errs)
	}
	one := strings.Replace(tests, "test_b if true\n", "", 1)
	if errs := checkRuleTests("privileged-container_test.rego", "privileged-container", []byte(one)); len(errs) == 0 {
		t.Error("a test file with one test is accepted")
	}
	wrongPkg := strings.Replace(tests, "privileged_container_test", "privileged_test", 1)
	if errs := checkRuleTests("privileged-container_test.rego", "privileged-container", []byte(wrongPkg)); len(errs) == 0 {
		t.Error("a test file with the wrong package is accepted")
	}
}
