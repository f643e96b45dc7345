package yamldoc

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// ObjectRef names a Kubernetes object.
type ObjectRef struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace"`
	Name       string `json:"name"`
}

// String is "Kind/name" or "Kind/namespace/name".
func (o ObjectRef) String() string {
	if o.Namespace != "" {
		return o.Kind + "/" + o.Namespace + "/" + o.Name
	}
	return o.Kind + "/" + o.Name
}

// Object is one Kubernetes object of a document: the document itself, or an item of a List.
type Object struct {
	Ref  ObjectRef
	Path []any      // where the object sits in its document: nil, or ["items", i]
	Node *yaml.Node // the object's mapping
}

// Objects finds the Kubernetes objects of a parsed document. A document without a string
// apiVersion and kind is not a manifest and has none.
func (d *Document) Objects() []Object {
	root := Deref(d.Root)
	ref, ok := objectRef(root)
	if !ok {
		return nil
	}
	if items := MappingValue(root, "items"); strings.HasSuffix(ref.Kind, "List") && items != nil && items.Kind == yaml.SequenceNode {
		var objs []Object
		for i, item := range items.Content {
			item = Deref(item)
			if itemRef, ok := objectRef(item); ok {
				objs = append(objs, Object{Ref: itemRef, Path: []any{"items", i}, Node: item})
			}
		}
		return objs
	}
	return []Object{{Ref: ref, Node: root}}
}

func objectRef(n *yaml.Node) (ObjectRef, bool) {
	if n == nil || n.Kind != yaml.MappingNode {
		return ObjectRef{}, false
	}
	ref := ObjectRef{APIVersion: ScalarString(MappingValue(n, "apiVersion")), Kind: ScalarString(MappingValue(n, "kind"))}
	if ref.APIVersion == "" || ref.Kind == "" {
		return ObjectRef{}, false
	}
	if md := MappingValue(n, "metadata"); md != nil {
		ref.Name = ScalarString(MappingValue(md, "name"))
		if ref.Name == "" {
			if gen := ScalarString(MappingValue(md, "generateName")); gen != "" {
				ref.Name = gen + "*"
			}
		}
		ref.Namespace = ScalarString(MappingValue(md, "namespace"))
	}
	return ref, true
}
