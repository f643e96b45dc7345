package fix

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"
	"go.yaml.in/yaml/v3"
)

// Title describes a fix for an editor's menu, naming the field, the value and the container
// or pod: `Set readOnlyRootFilesystem: true in container "web"`. root is the document's tree
// (nil when unknown), obj and item the object the fix's paths are relative to. It is "" for a
// fix without operations.
func Title(root *yaml.Node, obj yamldoc.ObjectRef, item []any, ops []Op) string {
	t := target{obj, item}
	var titles []string
	for _, op := range ops {
		if d := describeOp(root, t, op); !slices.Contains(titles, d) {
			titles = append(titles, d)
		}
	}
	switch len(titles) {
	case 0:
		return ""
	case 1:
		return titles[0]
	case 2:
		return titles[0] + "; " + lowerFirst(titles[1])
	}
	return fmt.Sprintf("%s (and %d more changes)", titles[0], len(titles)-1)
}

// target is the object a fix's paths are relative to.
type target struct {
	obj  yamldoc.ObjectRef
	item []any // where it sits in its document
}

// nodeAt returns the node at the object-relative path, or nil.
func (t target) nodeAt(root *yaml.Node, path []any) *yaml.Node {
	return yamldoc.NodeAt(root, append(slices.Clone(t.item), path...))
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

var containerKinds = map[string]string{
	"containers":          "container",
	"initContainers":      "init container",
	"ephemeralContainers": "ephemeral container",
}

// describeOp writes one operation as "Verb field[: value] in/from subject".
func describeOp(root *yaml.Node, t target, op Op) string {
	subject, field := opSubject(root, t, op.Path)
	value := func(v any) string {
		if isCollectionValue(v) {
			return style{keys: quotePlain, values: quotePlain}.flow(v, quotePlain)
		}
		return renderScalar(v, false, quotePlain)
	}
	fieldText := ShowPath(field)
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
			if n := t.nodeAt(root, op.Path); n != nil {
				what = entryLabel(n)
			}
			return fmt.Sprintf("Remove %s from %s in %s", what, ShowPath(field[:len(field)-1]), subject)
		}
	}
	if n := t.nodeAt(root, op.Path); n != nil && yamldoc.Deref(n).Kind == yaml.ScalarNode {
		return fmt.Sprintf("Remove %s: %s from %s", fieldText, yamldoc.Deref(n).Value, subject)
	}
	return fmt.Sprintf("Remove %s from %s", fieldText, subject)
}

// opSubject splits an object-relative path into what it belongs to (a container, the pod spec,
// the object) and the field path within that.
func opSubject(root *yaml.Node, t target, path []any) (string, []any) {
	object := fmt.Sprintf("%s %q", t.obj.Kind, t.obj.Name)
	if label, n := t.container(root, path); n > 0 {
		field := path[n:]
		if len(field) > 1 && field[0] == "securityContext" {
			field = field[1:]
		}
		return label, field
	}
	for i := len(path) - 3; i >= 0; i-- {
		if path[i] == "metadata" && path[i+1] == "annotations" {
			if i == 0 {
				return object, path
			}
			return "the pod template of " + object, path[i:]
		}
	}
	if t.obj.Kind == "PodSecurityPolicy" || len(path) < 2 || path[0] != "spec" {
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

// Container names the container an object-relative path lies in (`container "web"`,
// `init container 0 of Deployment "api"` when it has no name), "" when it is in none.
func Container(root *yaml.Node, obj yamldoc.ObjectRef, item, path []any) string {
	label, _ := target{obj, item}.container(root, path)
	return label
}

// container finds the innermost container entry on path: its label and the length of the
// path up to and including its index, 0 when there is none.
func (t target) container(root *yaml.Node, path []any) (string, int) {
	for i := len(path) - 2; i >= 0; i-- {
		kind, ok := containerKinds[fmt.Sprint(path[i])]
		if _, isIndex := path[i+1].(int); !ok || !isIndex {
			continue
		}
		if name := yamldoc.ScalarString(yamldoc.MappingValue(t.nodeAt(root, path[:i+2]), "name")); name != "" {
			return fmt.Sprintf("%s %q", kind, name), i + 2
		}
		return fmt.Sprintf("%s %d of %s %q", kind, path[i+1], t.obj.Kind, t.obj.Name), i + 2
	}
	return "", 0
}

// entryLabel names a list entry: a scalar's value, or a mapping's name.
func entryLabel(n *yaml.Node) string {
	n = yamldoc.Deref(n)
	switch n.Kind {
	case yaml.ScalarNode:
		return n.Value
	case yaml.MappingNode:
		if name := yamldoc.ScalarString(yamldoc.MappingValue(n, "name")); name != "" {
			return name
		}
	}
	return "entry"
}
