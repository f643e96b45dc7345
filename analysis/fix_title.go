package analysis

import (
	"github.com/kube-policy-ls/kube-policy-ls/analysis/fix"
	"go.yaml.in/yaml/v3"
)

// FixTitle describes f's fix for an editor's menu, naming the field, the value and the
// container or pod: `Set readOnlyRootFilesystem: true in container "web"`.
func (r *Result) FixTitle(f Finding) string {
	var root *yaml.Node
	if f.Doc >= 0 && f.Doc < len(r.Docs) && r.Docs[f.Doc] != nil {
		root = r.Docs[f.Doc].Doc.Root
	}
	if t := fix.Title(root, f.Object, f.Item, f.Fix); t != "" {
		return t
	}
	return "Fix " + f.Rule
}
