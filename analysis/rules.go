package analysis

import (
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/kube-policy-ls/kube-policy-ls/internal/parallel"
)

// Rule describes one rule of the catalog, from its policy's METADATA.
type Rule struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Severity    Severity `json:"severity"`
	Profiles    []string `json:"profiles"`
	PSS         []string `json:"pss"`
	Terrascan   []string `json:"terrascan"`
	Fixable     bool     `json:"fixable"`
	Passes      string   `json:"passes"`
	Fix         string   `json:"fix"`
	// Kinds are the object kinds the rule reads (custom.kinds); KindWorkloads stands for every
	// pod-bearing kind. Empty: every kind, as for a custom rule that declares none.
	Kinds []string `json:"kinds,omitempty"`
	// Supersedes lists the rules this one is more specific than (custom.supersedes): where both
	// flag the same field of an object, only this one reports (SPEC.md section 4).
	Supersedes []string `json:"supersedes,omitempty"`
	// Reads are the paths of an object the rule reads (custom.reads, package reads): the rule is
	// evaluated on the object's projection onto them, and keeps its verdict while that is
	// unchanged. Empty: the whole object, as for a custom rule that declares none.
	Reads []string `json:"-"`
	// FixPreferred says the fix is safe to apply without a second thought (custom.fixPreferred,
	// default true); false for fixes that insert a guessed value, such as a resource amount.
	FixPreferred bool   `json:"fixPreferred"`
	Package      string `json:"-"` // the Rego package, e.g. data.kubepolicy.rules.cpu_limits
	File         string `json:"file,omitempty"`
	Custom       bool   `json:"custom,omitempty"` // from a configured policy directory
}

// Profiles are the rule sets a user can choose. default, recommended and all nest (each holds
// the one before it); the pss-* profiles stand apart: exactly the Pod Security Standards.
var Profiles = []string{"default", "recommended", "all", "pss-baseline", "pss-restricted"}

// tiers are the nested profiles, smallest first. A rule's METADATA names only its lowest tier
// (RULES-NEXT.md section 3.2), so the 27 rules of RULES.md keep saying just "default" and a
// custom rule written for default keeps running under recommended and all.
var tiers = []string{"default", "recommended", "all"}

// InProfile reports whether a rule whose METADATA lists profiles belongs to profile.
func InProfile(profiles []string, profile string) bool {
	if slices.Contains(profiles, profile) {
		return true
	}
	at := slices.Index(tiers, profile)
	for _, p := range profiles {
		if i := slices.Index(tiers, p); i >= 0 && at >= 0 && i <= at {
			return true
		}
	}
	return false
}

// Rule ids reported by the engine itself rather than by a policy.
const (
	RuleYAMLSyntax     = "yaml-syntax"
	RuleHelmTemplate   = "helm-template"
	RuleHelmRender     = "helm-render"
	RuleHelmValuesKey  = "helm-values-key"
	RuleKustomizeBuild = "kustomize-build"
)

// engineRules are the catalog entries for what the engine reports itself.
var engineRules = []Rule{
	{
		ID:          RuleYAMLSyntax,
		Title:       "Manifests must be valid YAML",
		Description: "A document that does not parse, has a duplicate key, or exceeds a safety limit (size, nesting, alias expansion) cannot be applied by kubectl and cannot be checked. The other documents of the file are still checked.",
		Severity:    High,
		Passes:      "A document that parses as YAML with unique keys.",
		Fix:         "Correct the YAML at the reported line.",
	},
	{
		ID:          RuleHelmTemplate,
		Title:       "Helm templates are not checked",
		Description: "Unrendered Helm templates ({{ ... }}) are not YAML until rendered, so they are skipped with this notice instead of a wall of syntax errors. Check the rendered output (helm template ... | kube-policy-ls check -) instead.",
		Severity:    Info,
		Passes:      "Plain manifests, or the output of helm template.",
		Fix:         "None: check the rendered chart.",
	},
	{
		ID:          RuleHelmRender,
		Title:       "Helm charts must render",
		Description: "A chart is checked through its rendered manifests. A chart that does not render (a template syntax error, a required value left empty, fail, values that are not YAML, a broken Chart.yaml, a dependency missing from charts/) cannot be installed and cannot be checked: the error is reported at the file and line Helm names.",
		Severity:    High,
		Passes:      "A chart that helm template renders with the configured values.",
		Fix:         "Correct the template, values or Chart.yaml at the reported line.",
	},
	{
		ID:          RuleHelmValuesKey,
		Title:       "Helm values keys must keep their names",
		Description: "Helm reads values files as YAML 1.1, where an unquoted key n, y, no, yes, on or off is a boolean: Helm names it \"false\" or \"true\" (and 1.0 \"1\"), so .Values.n is empty and what the templates build from it is silently missing. Editors read YAML 1.2, where the key is the string it looks like. Reported at the key, in the chart's values.yaml and in the configured values files.",
		Severity:    Medium,
		Passes:      `"n": 3 (quoted), or a key that is a name in both YAML versions.`,
		Fix:         "Quote the key, or rename it (and the templates that read it).",
	},
	{
		ID:          RuleKustomizeBuild,
		Title:       "Kustomize overlays must build",
		Description: "An overlay is checked through what it builds. An entry of a kustomization that cannot be built (a missing file, a cycle of bases, a patch that does not parse or apply) is reported at that entry, and the overlay is checked without it. A remote resource (a URL, a git repository) is never fetched: it is reported once, and the rest is checked.",
		Severity:    High,
		Passes:      "An overlay that kustomize build builds from local files.",
		Fix:         "Correct the entry, or the file it names, at the reported line.",
	},
	{
		ID:          RuleInvalidSuppression,
		Title:       "Suppressions must name a known rule, give a reason and not be expired",
		Description: "A suppression (the ignore.kube-policy-ls.io/<rule> annotation, a \"# kube-policy-ls ignore <rule> -- reason\" comment, or Terrascan's runterrascan.io/skip) that names an unknown rule, has no reason, or has expired does not suppress anything: the finding it meant to hide is reported, and this warning says why.",
		Severity:    Medium,
		Passes:      `ignore.kube-policy-ls.io/host-network: "node exporter needs the host network; expires=2027-03-31"`,
		Fix:         "Correct the rule id (the closest one is suggested), add a reason, or renew or remove the suppression.",
	},
	{
		ID:          RuleUnusedSuppression,
		Title:       "Suppressions that suppress nothing should go",
		Description: "A suppression that matches no finding is stale: the problem was fixed or moved. Removing it keeps suppressions meaningful, so that a new problem is not silenced by an old exception. A comment in a kustomization or a patch file is unused only when no overlay that reads the file has a finding for it to suppress (and every one of them builds without a kustomize-build problem); one naming only rules that are turned off is waiting, not unused.",
		Severity:    Hint,
		Passes:      "Every suppression silences a finding.",
		Fix:         "Remove the suppression.",
	},
}

// loadModules parses every non-test .rego file of fsys with its annotations, on every core:
// parsing the built-in policies is a third of building an engine, which check and the
// language server wait for before anything is checked.
func loadModules(fsys fs.FS, root string) (map[string]*ast.Module, error) {
	var paths []string
	err := fs.WalkDir(fsys, root, func(p string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() && strings.HasSuffix(p, ".rego") && !strings.HasSuffix(p, "_test.rego") {
			paths = append(paths, p)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	mods := make([]*ast.Module, len(paths))
	errs := make([]error, len(paths))
	parallel.Each(len(paths), func(i int) { mods[i], errs[i] = parseModule(fsys, paths[i]) })
	out := make(map[string]*ast.Module, len(paths))
	for i, p := range paths {
		if errs[i] != nil {
			return nil, errs[i] // the first in walk order, as when they were parsed one by one
		}
		out[p] = mods[i]
	}
	return out, nil
}

func parseModule(fsys fs.FS, p string) (*ast.Module, error) {
	src, err := fs.ReadFile(fsys, p)
	if err != nil {
		return nil, err
	}
	return ast.ParseModuleWithOpts(p, string(src), ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.RegoV1})
}

// ruleFromModule reads a rule's METADATA. Modules without a custom.id (libraries) are not rules.
func ruleFromModule(file string, m *ast.Module) (Rule, bool, error) {
	var a *ast.Annotations
	for _, ann := range m.Annotations {
		if ann.Scope == "package" {
			a = ann
		}
	}
	if a == nil || a.Custom["id"] == nil {
		return Rule{}, false, nil
	}
	r := Rule{
		ID:          str(a.Custom["id"]),
		Title:       a.Title,
		Description: strings.TrimSpace(a.Description),
		Profiles:    strs(a.Custom["profiles"]),
		PSS:         strs(a.Custom["pss"]),
		Terrascan:   strs(a.Custom["terrascan"]),
		Passes:      strings.TrimSpace(str(a.Custom["passes"])),
		Fix:         strings.TrimSpace(str(a.Custom["fix"])),
		Package:     m.Package.Path.String(),
		File:        file,
	}
	r.Fixable, _ = a.Custom["fixable"].(bool)
	if err := r.readKnowledge(a.Custom); err != nil {
		return Rule{}, false, fmt.Errorf("%s: rule %s: %w", file, r.ID, err)
	}
	sev, err := ParseSeverity(str(a.Custom["severity"]))
	if err != nil || sev == Info {
		return Rule{}, false, fmt.Errorf("%s: rule %s: severity: %v", file, r.ID, err)
	}
	r.Severity = sev
	if r.ID == "" || r.Title == "" {
		return Rule{}, false, fmt.Errorf("%s: rule metadata needs title and custom.id", file)
	}
	for _, p := range r.Profiles {
		if !slices.Contains(Profiles, p) {
			return Rule{}, false, fmt.Errorf("%s: rule %s: unknown profile %q", file, r.ID, p)
		}
	}
	return r, true, nil
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func strs(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func sortRules(rules []Rule) {
	sort.Slice(rules, func(i, j int) bool { return rules[i].ID < rules[j].ID })
}
