package yamldoc

import "go.yaml.in/yaml/v3"

// One walker follows JSON paths through yaml.Node trees for the whole engine: ranges to
// highlight (PathRange), fixes (which edit the node a path reaches), fix titles and the
// configuration's error positions all read a path the same way, so a path that reaches a node
// for one of them reaches it for all.

// Step is one step of a JSON path through a parsed document.
type Step struct {
	Parent *yaml.Node // the mapping or sequence holding the step, aliases followed
	Key    *yaml.Node // the mapping key; nil for a sequence item
	Node   *yaml.Node // the value or item, as written (possibly an alias)
	Index  int        // index in Parent.Content: the key's, or the item's; -1 when Merged
	Merged bool       // the key is not in Parent itself but comes from a "<<" merge
}

// Walk follows path (string keys and int list indexes) from root as far as it exists, one Step
// per element reached. A step found only through a merge key is the last one returned: the
// merge's key and value stand for it, as that is where the field is set in this mapping.
func Walk(root *yaml.Node, path []any) []Step {
	cur := root
	steps := make([]Step, 0, len(path))
	for _, p := range path {
		n := Deref(cur)
		if n == nil {
			return steps
		}
		switch s := p.(type) {
		case string:
			if n.Kind != yaml.MappingNode {
				return steps
			}
			i := KeyIndex(n, s)
			if i < 0 {
				if mk, mv := MergePair(n, s); mk != nil {
					steps = append(steps, Step{Parent: n, Key: mk, Node: mv, Index: -1, Merged: true})
				}
				return steps
			}
			steps = append(steps, Step{Parent: n, Key: n.Content[i], Node: n.Content[i+1], Index: i})
			cur = n.Content[i+1]
		case int:
			if n.Kind != yaml.SequenceNode || s < 0 || s >= len(n.Content) {
				return steps
			}
			steps = append(steps, Step{Parent: n, Node: n.Content[s], Index: s})
			cur = n.Content[s]
		default:
			return steps
		}
	}
	return steps
}

// NodeAt returns the node at path from root, or nil when the path does not reach that far. A
// field that only a "<<" merge key provides is the merge's value, as in Walk.
func NodeAt(root *yaml.Node, path []any) *yaml.Node {
	if root == nil {
		return nil
	}
	if len(path) == 0 {
		return root
	}
	steps := Walk(root, path)
	if len(steps) != len(path) {
		return nil
	}
	return steps[len(steps)-1].Node
}

// KeyIndex is the index in mapping n's Content of key (the last one, as decoders keep the
// last of duplicate keys), or -1. A "<<" merge key is not the field "<<".
func KeyIndex(n *yaml.Node, key string) int {
	for i := len(n.Content) - 2; i >= 0; i -= 2 {
		if k := Deref(n.Content[i]); k.Kind == yaml.ScalarNode && k.Value == key && !(key == "<<" && k.Tag == "!!merge") {
			return i
		}
	}
	return -1
}

// Deref follows aliases to the node they stand for.
func Deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// MappingPair returns the key and value nodes of key in the mapping n (the last one, as a
// decoder keeps the last of duplicate keys), following aliases; nil when absent.
func MappingPair(n *yaml.Node, key string) (k, v *yaml.Node) {
	n = Deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, nil
	}
	if i := KeyIndex(n, key); i >= 0 {
		return n.Content[i], n.Content[i+1]
	}
	return nil, nil
}

// MappingValue returns the value of key in the mapping n, aliases followed; nil when absent.
func MappingValue(n *yaml.Node, key string) *yaml.Node {
	_, v := MappingPair(n, key)
	return Deref(v)
}

// ScalarString returns the value of a non-null scalar, aliases followed; "" for anything else.
func ScalarString(n *yaml.Node) string {
	n = Deref(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		return ""
	}
	return n.Value
}

// MergePair finds the "<<" entry of mapping n whose merged mappings provide key.
func MergePair(n *yaml.Node, key string) (k, v *yaml.Node) {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value != "<<" || n.Content[i].Tag != "!!merge" {
			continue
		}
		sources := []*yaml.Node{n.Content[i+1]}
		if s := Deref(n.Content[i+1]); s.Kind == yaml.SequenceNode {
			sources = s.Content
		}
		for _, src := range sources {
			if mk, _ := MappingPair(src, key); mk != nil {
				return n.Content[i], n.Content[i+1]
			}
		}
	}
	return nil, nil
}
