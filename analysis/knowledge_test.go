package analysis

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kube-policy-ls/kube-policy-ls/analysis/fix"
)

// writeRule writes a custom rule whose METADATA custom block ends with extra lines.
func writeRule(t *testing.T, dir, id, extra, body string) {
	t.Helper()
	src := "# METADATA\n# title: " + id + "\n# custom:\n#   id: " + id + "\n#   severity: medium\n" + extra +
		"package custom." + strings.ReplaceAll(id, "-", "_") + "\n\nimport data.kubepolicy.lib\n\n" + body
	if err := os.WriteFile(filepath.Join(dir, id+".rego"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
}

const everyObject = `violations contains v if {
	v := {"path": ["metadata", "name"], "message": sprintf("%s seen", [input.kind])}
}
`

// TestCustomRuleKnowledge: a custom rule's kinds decide which objects it sees, its
// supersedes hides a built-in rule's finding on the same field, and fixPreferred: false
// keeps its fix from being the preferred one.
func TestCustomRuleKnowledge(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeRule(t, dir, "configmaps-only", "#   kinds: [ConfigMap]\n", everyObject)
	writeRule(t, dir, "any-kind", "", everyObject)
	writeRule(t, dir, "pid-specific", "#   kinds: [workloads]\n#   supersedes: [host-pid]\n#   fixable: true\n#   fixPreferred: false\n", `violations contains v if {
	some pod in lib.pods
	pod.spec.hostPID == true
	path := array.concat(pod.path, ["hostPID"])
	v := {"path": path, "message": "host PID, specifically", "fix": [{"op": "set", "path": path, "value": false}]}
}
`)
	e := newTestEngine(t, Config{Policies: []string{"."}, BaseDir: dir})
	if errs := e.PolicyErrors(); len(errs) > 0 {
		t.Fatalf("policy errors: %v", errs)
	}
	text := podWithImage + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n"
	res := analyzeText(t, e, text)
	got := map[string][]string{}
	for _, f := range res.Findings {
		got[f.Object.Kind] = append(got[f.Object.Kind], f.Rule)
	}
	for kind, want := range map[string][]string{
		"Pod":       {"any-kind", "pid-specific"}, // host-pid superseded, configmaps-only not run
		"ConfigMap": {"any-kind", "configmaps-only"},
		"Widget":    {"any-kind"},
	} {
		rules := got[kind]
		slices.Sort(rules)
		rules = slices.DeleteFunc(rules, func(id string) bool {
			return id != "any-kind" && id != "pid-specific" && id != "configmaps-only" && id != "host-pid"
		})
		if !slices.Equal(rules, want) {
			t.Errorf("%s: rules %v, want %v", kind, rules, want)
		}
	}
	for _, f := range res.Findings {
		if f.Rule == "pid-specific" && e.FixPreferred(f) {
			t.Error("a fix marked fixPreferred: false is preferred")
		}
	}
	r, _ := e.Rule("pid-specific")
	if !slices.Equal(r.Kinds, []string{KindWorkloads}) || !slices.Equal(r.Supersedes, []string{"host-pid"}) || r.FixPreferred {
		t.Errorf("catalog entry %+v", r)
	}
}

// TestBuiltinRuleKnowledge: the built-in rules' METADATA gives the behaviour the Go maps gave.
func TestBuiltinRuleKnowledge(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Config{})
	for rule, preferred := range map[string]bool{"cpu-limits": false, "memory-requests": false, "run-as-high-uid": false, "privileged-container": true, "host-pid": true} {
		f := Finding{Rule: rule, Fix: []fix.Op{{Op: "set", Path: []any{"x"}, Value: 1}}}
		if got := e.FixPreferred(f); got != preferred {
			t.Errorf("FixPreferred(%s) = %v, want %v", rule, got, preferred)
		}
	}
	if e.FixPreferred(Finding{Rule: "privileged-container"}) {
		t.Error("a finding without a fix has a preferred fix")
	}
	for _, pair := range []rulePair{
		{"docker-socket-mount", "host-path-volumes"}, {"cap-sys-admin", "capabilities-added"},
		{"vulnerable-volume-types", "restricted-volume-types"}, {"run-as-non-root", "run-as-high-uid"},
	} {
		if !e.supersedes[pair] {
			t.Errorf("%s does not supersede %s", pair.specific, pair.general)
		}
	}
}

// TestInspectedKindsFollowEnabledRules: the engine evaluates the kinds the enabled rules
// declare, and no other.
func TestInspectedKindsFollowEnabledRules(t *testing.T) {
	t.Parallel()
	off := false
	tests := []struct {
		name     string
		cfg      Config
		yes, not []string
	}{
		{"default", Config{}, []string{"Pod", "Deployment", "CronJob", "PodSecurityPolicy", "StorageClass", "PersistentVolume"}, []string{"ConfigMap", "CustomResourceDefinition", "Worker"}},
		{"pss-baseline", Config{Profile: "pss-baseline"}, []string{"Deployment", "PodSecurityPolicy"}, []string{"StorageClass", "PersistentVolume", "ConfigMap"}},
		{"rule disabled", Config{Rules: map[string]RuleConfig{"vulnerable-volume-types": {Enabled: &off}}}, []string{"Pod"}, []string{"StorageClass", "PersistentVolume"}},
		{"podSpecPaths", Config{PodSpecPaths: []PodSpecPath{{APIVersion: "example.com/v1", Kind: "Worker", Path: "spec.template.spec"}}}, []string{"Worker", "Pod"}, []string{"ConfigMap"}},
	}
	for _, tc := range tests {
		e := newTestEngine(t, tc.cfg)
		for _, k := range tc.yes {
			if !e.inspects(k) {
				t.Errorf("%s: %s is not inspected", tc.name, k)
			}
		}
		for _, k := range tc.not {
			if e.inspects(k) {
				t.Errorf("%s: %s is inspected", tc.name, k)
			}
		}
		if e.customInspects("Pod") {
			t.Errorf("%s: custom rules inspect, with none configured", tc.name)
		}
	}
}

// TestRuleKnowledgeMetadataErrors: malformed kinds, supersedes or fixPreferred is reported on
// the custom policy's file.
func TestRuleKnowledgeMetadataErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, extra, want string }{
		{"empty kinds", "#   kinds: []\n", "custom.kinds is empty"},
		{"kinds not a list", "#   kinds: Pod\n", "custom.kinds is Pod"},
		{"kinds of numbers", "#   kinds: [1]\n", "custom.kinds has 1"},
		{"unknown superseded rule", "#   supersedes: [host-pids]\n", `unknown rule host-pids (did you mean "host-pid"?)`},
		{"supersedes itself", "#   supersedes: [bad-rule]\n", "names the rule itself"},
		{"fixPreferred not a bool", "#   fixPreferred: \"no\"\n", "custom.fixPreferred is no"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			writeRule(t, dir, "bad-rule", tc.extra, everyObject)
			e := newTestEngine(t, Config{Policies: []string{"."}, BaseDir: dir})
			errs := e.PolicyErrors()
			if len(errs) != 1 || !strings.Contains(errs[0].Msg, tc.want) || filepath.Base(errs[0].File) != "bad-rule.rego" {
				t.Errorf("policy errors %v, want one on bad-rule.rego containing %q", errs, tc.want)
			}
		})
	}

	dir := t.TempDir()
	writeRule(t, dir, "rule-a", "#   supersedes: [rule-b]\n", everyObject)
	writeRule(t, dir, "rule-b", "#   supersedes: [rule-a]\n", everyObject)
	e := newTestEngine(t, Config{Policies: []string{"."}, BaseDir: dir})
	if errs := e.PolicyErrors(); len(errs) != 1 || !strings.Contains(errs[0].Msg, "which supersedes rule-a") {
		t.Errorf("rules superseding each other: policy errors %v", errs)
	}
	res := analyzeText(t, e, podWithImage)
	if n := len(slices.DeleteFunc(rulesOf(res.Findings), func(id string) bool { return id != "rule-a" && id != "rule-b" })); n != 1 {
		t.Errorf("rules superseding each other: %d of their findings, want 1", n)
	}
}
