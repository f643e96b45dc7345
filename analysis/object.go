package analysis

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
	root := deref(d.Root)
	ref, ok := objectRef(root)
	if !ok {
		return nil
	}
	if items := mappingValue(root, "items"); strings.HasSuffix(ref.Kind, "List") && items != nil && items.Kind == yaml.SequenceNode {
		var objs []Object
		for i, item := range items.Content {
			item = deref(item)
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
	ref := ObjectRef{APIVersion: scalarString(mappingValue(n, "apiVersion")), Kind: scalarString(mappingValue(n, "kind"))}
	if ref.APIVersion == "" || ref.Kind == "" {
		return ObjectRef{}, false
	}
	if md := mappingValue(n, "metadata"); md != nil {
		ref.Name = scalarString(mappingValue(md, "name"))
		if ref.Name == "" {
			if gen := scalarString(mappingValue(md, "generateName")); gen != "" {
				ref.Name = gen + "*"
			}
		}
		ref.Namespace = scalarString(mappingValue(md, "namespace"))
	}
	return ref, true
}

func scalarString(n *yaml.Node) string {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		return ""
	}
	return n.Value
}

// mappingPair returns the key and value nodes of key in the mapping n (the last one, as a
// decoder keeps the last of duplicate keys), following aliases; nil when absent.
func mappingPair(n *yaml.Node, key string) (k, v *yaml.Node) {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := len(n.Content) - 2; i >= 0; i -= 2 {
		if kn := deref(n.Content[i]); kn.Kind == yaml.ScalarNode && kn.Value == key {
			return n.Content[i], n.Content[i+1]
		}
	}
	return nil, nil
}

func mappingValue(n *yaml.Node, key string) *yaml.Node {
	_, v := mappingPair(n, key)
	return deref(v)
}
