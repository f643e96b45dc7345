package analysis

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// FixTitle describes f's fix for an editor's menu, naming the field, the value and the
// container or pod: `Set readOnlyRootFilesystem: true in container "web"`.
func (r *Result) FixTitle(f Finding) string {
	var root *yaml.Node
	if f.Doc >= 0 && f.Doc < len(r.Docs) && r.Docs[f.Doc] != nil {
		root = r.Docs[f.Doc].Doc.Root
	}
	var titles []string
	for _, op := range f.Fix {
		if t := fixDescribeOp(root, f, op); !slices.Contains(titles, t) {
			titles = append(titles, t)
		}
	}
	switch len(titles) {
	case 0:
		return "Fix " + f.Rule
	case 1:
		return titles[0]
	case 2:
		return titles[0] + "; " + fixLowerFirst(titles[1])
	}
	return fmt.Sprintf("%s (and %d more changes)", titles[0], len(titles)-1)
}

func fixLowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

var fixContainerKinds = map[string]string{
	"containers":          "container",
	"initContainers":      "init container",
	"ephemeralContainers": "ephemeral container",
}

// fixDescribeOp writes one operation as "Verb field[: value] in/from subject".
func fixDescribeOp(root *yaml.Node, f Finding, op FixOp) string {
	subject, field := fixOpSubject(root, f, op.Path)
	value := func(v any) string {
		if isCollectionValue(v) {
			return fixStyle{keys: quotePlain, values: quotePlain}.flow(v, quotePlain)
		}
		return fixRenderScalar(v, false, quotePlain)
	}
	fieldText := fixShowPath(field)
	if len(field) == 3 && field[0] == "metadata" && field[1] == "annotations" {
		fieldText = fmt.Sprintf("annotation %v", field[2])
	}
	switch op.Op {
	case "set":
		return fmt.Sprintf("Set %s: %s in %s", fieldText, value(op.Value), subject)
	case "add":
		return fmt.Sprintf("Add %s to %s in %s", value(op.Value), fieldText, subject)
	}
	// remove: name what goes, from where
	if len(field) > 0 {
		if _, isIndex := field[len(field)-1].(int); isIndex {
			what := "entry"
			if n := fixNodeAt(root, f.Item, op.Path); n != nil {
				what = fixEntryLabel(n)
			}
			return fmt.Sprintf("Remove %s from %s in %s", what, fixShowPath(field[:len(field)-1]), subject)
		}
	}
	if n := fixNodeAt(root, f.Item, op.Path); n != nil && deref(n).Kind == yaml.ScalarNode {
		return fmt.Sprintf("Remove %s: %s from %s", fieldText, deref(n).Value, subject)
	}
	return fmt.Sprintf("Remove %s from %s", fieldText, subject)
}

// fixOpSubject splits an object-relative path into what it belongs to (a container, the pod spec,
// the object) and the field path within that.
func fixOpSubject(root *yaml.Node, f Finding, path []any) (string, []any) {
	object := fmt.Sprintf("%s %q", f.Object.Kind, f.Object.Name)
	for i := len(path) - 2; i >= 0; i-- {
		kind, ok := fixContainerKinds[fmt.Sprint(path[i])]
		if _, isIndex := path[i+1].(int); !ok || !isIndex {
			continue
		}
		name := scalarString(mappingValue(fixNodeAt(root, f.Item, path[:i+2]), "name"))
		field := path[i+2:]
		if len(field) > 1 && field[0] == "securityContext" {
			field = field[1:]
		}
		if name == "" {
			return fmt.Sprintf("%s %d of %s", kind, path[i+1], object), field
		}
		return fmt.Sprintf("%s %q", kind, name), field
	}
	for i := len(path) - 3; i >= 0; i-- {
		if path[i] == "metadata" && path[i+1] == "annotations" {
			if i == 0 {
				return object, path
			}
			return "the pod template of " + object, path[i:]
		}
	}
	if f.Object.Kind == "PodSecurityPolicy" || len(path) < 2 || path[0] != "spec" {
		return object, path
	}
	last := 0
	for i, p := range path[:len(path)-1] {
		if p == "spec" {
			last = i
		}
	}
	return "the pod spec of " + object, path[last+1:]
}

// fixNodeAt returns the node at item+path in root, or nil.
func fixNodeAt(root *yaml.Node, item, path []any) *yaml.Node {
	if root == nil {
		return nil
	}
	full := append(slices.Clone(item), path...)
	steps := fixWalk(root, full)
	if len(steps) != len(full) {
		return nil
	}
	return steps[len(steps)-1].node
}

// fixEntryLabel names a list entry: a scalar's value, or a mapping's name.
func fixEntryLabel(n *yaml.Node) string {
	n = deref(n)
	switch n.Kind {
	case yaml.ScalarNode:
		return n.Value
	case yaml.MappingNode:
		if name := scalarString(mappingValue(n, "name")); name != "" {
			return name
		}
	}
	return "entry"
}
