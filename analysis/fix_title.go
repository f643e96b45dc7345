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
