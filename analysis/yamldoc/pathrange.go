package yamldoc

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// PathRange maps a JSON path inside an object to the document-relative range to highlight:
//   - an existing field: its key through the end of its value when the value is a scalar or a
//     one-line flow collection, the key alone when the value is a block;
//   - an existing list entry: a scalar entry itself, a mapping entry's "- name: x" line;
//   - a missing field: its owner, the nearest list entry's "- name: x" line (a container) or
//     the pod spec's key ("spec:", "template:"); failing both, the nearest existing key; for a
//     missing top-level field, the object's "kind".
func (d *Document) PathRange(obj Object, path []any) Range {
	full := append(append([]any{}, obj.Path...), path...)
	loc := d.locate(full)
	if loc.alias != nil && loc.depth > loc.alias.depth {
		// the field lies inside an alias: highlight where this object uses it, not the anchor
		// that every user of the alias shares
		loc, loc.depth = *loc.alias, len(full)
	}
	complete := loc.depth == len(full)
	if !complete {
		if owner, ok := ownerOf(loc); ok {
			loc = owner
		}
	}
	switch {
	case loc.key != nil && complete && !d.IsBlock(loc.node):
		return Range{d.NodeOffset(loc.key), max(d.NodeEnd(loc.node), d.NodeEnd(loc.key))}
	case loc.key != nil:
		return Range{d.NodeOffset(loc.key), d.NodeEnd(loc.key)}
	case loc.item && complete && Deref(loc.node).Kind == yaml.ScalarNode:
		return d.NodeRange(loc.node)
	case loc.item:
		return d.entryRange(loc.node)
	}
	if k, v := MappingPair(d.Root, "kind"); k != nil {
		return Range{d.NodeOffset(k), d.NodeEnd(v)}
	}
	return d.NodeStartRange(d.Root)
}

// location is how far a path reaches into a document.
type location struct {
	node  *yaml.Node // the deepest node reached
	key   *yaml.Node // its key, when reached through a mapping
	item  bool       // reached through a list index
	depth int        // path elements matched
	alias *location  // the first alias node the path went through, if any
	up    *location  // the location one step shallower
}

// ownerOf finds what owns a missing field (SPEC.md section 3): the nearest list entry that
// is a mapping (a container, a volume, a List item), else the nearest pod spec key ("spec" or
// "template"). Without either, the caller keeps the deepest existing key.
func ownerOf(loc location) (location, bool) {
	for l := &loc; l != nil; l = l.up {
		switch {
		case l.item && Deref(l.node) != nil && Deref(l.node).Kind == yaml.MappingNode:
			return *l, true
		case l.key != nil && (l.key.Value == "spec" || l.key.Value == "template"):
			return *l, true
		}
	}
	return loc, false
}

// locate is how far path reaches from the document's root, as Walk finds it, with the first
// alias the path went through.
func (d *Document) locate(path []any) location {
	loc := location{node: d.Root}
	for _, st := range Walk(d.Root, path) {
		if loc.alias == nil && loc.node != nil && loc.node.Kind == yaml.AliasNode {
			entry := loc
			loc.alias = &entry
		}
		if st.Merged {
			// the field comes from a "<<: *anchor" merge: that line is where it is set here
			return location{node: st.Node, key: st.Key, depth: len(path), alias: loc.alias}
		}
		up := loc
		loc = location{node: st.Node, key: st.Key, item: st.Key == nil, depth: loc.depth + 1, alias: loc.alias, up: &up}
	}
	return loc
}

// IsBlock reports whether a value spans lines (a block collection, a block or multi-line
// scalar, a flow collection broken over lines), so that only its key is highlighted.
func (d *Document) IsBlock(n *yaml.Node) bool {
	if n.Kind == yaml.AliasNode {
		return false
	}
	start := d.ContentStart(n)
	return d.mapper.LineOf(start) != d.mapper.LineOf(max(start, d.NodeEnd(n)-1))
}

// entryRange is a list entry's first line, from its "-" through its "name: x" (or its first
// field) value: the place an editor user reads as "that container".
func (d *Document) entryRange(n *yaml.Node) Range {
	start := d.NodeOffset(n)
	lineStart := d.mapper.LineStart(d.mapper.LineOf(start))
	if dash := strings.LastIndexByte(d.Text[lineStart:start], '-'); dash >= 0 && strings.TrimSpace(d.Text[lineStart+dash+1:start]) == "" {
		start = lineStart + dash
	}
	m := Deref(n)
	lineEnd := d.mapper.LineEnd(d.mapper.LineOf(d.ContentStart(n)))
	end := min(d.NodeEnd(n), lineEnd)
	if m.Kind == yaml.MappingNode && len(m.Content) >= 2 && m.Style&yaml.FlowStyle == 0 {
		k, v := MappingPair(m, "name")
		if k == nil || d.mapper.LineOf(d.NodeOffset(k)) != d.mapper.LineOf(d.ContentStart(n)) {
			k, v = m.Content[0], m.Content[1]
		}
		end = d.NodeEnd(k)
		if !d.IsBlock(v) {
			end = max(end, d.NodeEnd(v))
		}
	}
	return Range{start, max(start, end)}
}
