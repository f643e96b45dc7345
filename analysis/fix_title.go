package analysis

import (
	"github.com/kube-policy-ls/kube-policy-ls/analysis/fix"
	"go.yaml.in/yaml/v3"
)

// FixTitle describes f's fix for an editor's menu, naming the field, the value and the
// container or pod: `Set readOnlyRootFilesystem: true in container "web"`.
func (r *Result) FixTitle(f Finding) string {
	if t := fix.Title(r.root(f), f.Object, f.Item, f.Fix); t != "" {
		return t
	}
	return "Fix " + f.Rule
}

// Container names the container f is about (`container "web"`), "" when it is about none:
// editors group a crowded line's fixes by it.
func (r *Result) Container(f Finding) string {
	if f.Object.Kind == "" {
		return ""
	}
	return fix.Container(r.root(f), f.Object, f.Item, f.Path)
}

// root is the tree of f's document, nil when it is not parsed.
func (r *Result) root(f Finding) *yaml.Node {
	if f.Doc >= 0 && f.Doc < len(r.Docs) && r.Docs[f.Doc] != nil {
		return r.Docs[f.Doc].Doc.Root
	}
	return nil
}

// FixPreferred reports whether f's fix is the one to apply without a second thought: it
// resolves the finding with the value the rule requires. Fixes that insert a guessed value (a
// resource amount, a UID) are offered but not preferred: the right value depends on the workload.
func FixPreferred(f Finding) bool {
	if !f.Fixable() {
		return false
	}
	switch f.Rule {
	case "cpu-limits", "cpu-requests", "memory-limits", "memory-requests", "run-as-high-uid":
		return false
	}
	return true
}
