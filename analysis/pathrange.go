package analysis

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
	case loc.key != nil && complete && !d.isBlock(loc.node):
		return Range{d.nodeOffset(loc.key), max(d.nodeEnd(loc.node), d.nodeEnd(loc.key))}
	case loc.key != nil:
		return Range{d.nodeOffset(loc.key), d.nodeEnd(loc.key)}
	case loc.item && complete && deref(loc.node).Kind == yaml.ScalarNode:
		return d.NodeRange(loc.node)
	case loc.item:
		return d.entryRange(loc.node)
	}
	if k, v := mappingPair(d.Root, "kind"); k != nil {
		return Range{d.nodeOffset(k), d.nodeEnd(v)}
	}
	return d.nodeStartRange(d.Root)
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
		case l.item && deref(l.node) != nil && deref(l.node).Kind == yaml.MappingNode:
			return *l, true
		case l.key != nil && (l.key.Value == "spec" || l.key.Value == "template"):
			return *l, true
		}
	}
	return loc, false
}

func (d *Document) locate(path []any) location {
	loc := location{node: d.Root}
	for _, step := range path {
		if loc.alias == nil && loc.node != nil && loc.node.Kind == yaml.AliasNode {
			entry := loc
			loc.alias = &entry
		}
		cur := deref(loc.node)
		switch s := step.(type) {
		case string:
			k, v := mappingPair(cur, s)
			if k == nil {
				if mk, mv := mergePair(cur, s); mk != nil {
					// the field comes from a "<<: *anchor" merge: that line is where it is set here
					return location{node: mv, key: mk, depth: len(path), alias: loc.alias}
				}
				return loc
			}
			up := loc
			loc = location{node: v, key: k, depth: loc.depth + 1, alias: loc.alias, up: &up}
		case int:
			if cur == nil || cur.Kind != yaml.SequenceNode || s < 0 || s >= len(cur.Content) {
				return loc
			}
			up := loc
			loc = location{node: cur.Content[s], item: true, depth: loc.depth + 1, alias: loc.alias, up: &up}
		default:
			return loc
		}
	}
	return loc
}

// mergePair finds the "<<" entry of mapping n whose merged mappings provide key.
func mergePair(n *yaml.Node, key string) (k, v *yaml.Node) {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value != "<<" || n.Content[i].Tag != "!!merge" {
			continue
		}
		sources := []*yaml.Node{n.Content[i+1]}
		if s := deref(n.Content[i+1]); s.Kind == yaml.SequenceNode {
			sources = s.Content
		}
		for _, src := range sources {
			if mk, _ := mappingPair(src, key); mk != nil {
				return n.Content[i], n.Content[i+1]
			}
		}
	}
	return nil, nil
}

// isBlock reports whether a value spans lines (a block collection, a block or multi-line
// scalar, a flow collection broken over lines), so that only its key is highlighted.
func (d *Document) isBlock(n *yaml.Node) bool {
	if n.Kind == yaml.AliasNode {
		return false
	}
	start := d.contentStart(n)
	return d.mapper.LineOf(start) != d.mapper.LineOf(max(start, d.nodeEnd(n)-1))
}

// entryRange is a list entry's first line, from its "-" through its "name: x" (or its first
// field) value: the place an editor user reads as "that container".
func (d *Document) entryRange(n *yaml.Node) Range {
	start := d.nodeOffset(n)
	lineStart := d.mapper.LineStart(d.mapper.LineOf(start))
	if dash := strings.LastIndexByte(d.Text[lineStart:start], '-'); dash >= 0 && strings.TrimSpace(d.Text[lineStart+dash+1:start]) == "" {
		start = lineStart + dash
	}
	m := deref(n)
	lineEnd := d.mapper.LineEnd(d.mapper.LineOf(d.contentStart(n)))
	end := min(d.nodeEnd(n), lineEnd)
	if m.Kind == yaml.MappingNode && len(m.Content) >= 2 && m.Style&yaml.FlowStyle == 0 {
		k, v := mappingPair(m, "name")
		if k == nil || d.mapper.LineOf(d.nodeOffset(k)) != d.mapper.LineOf(d.contentStart(n)) {
			k, v = m.Content[0], m.Content[1]
		}
		end = d.nodeEnd(k)
		if !d.isBlock(v) {
			end = max(end, d.nodeEnd(v))
		}
	}
	return Range{start, max(start, end)}
}
