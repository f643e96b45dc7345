package kustomize

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kube-policy-ls/kube-policy-ls/analysis/fix"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"

	"go.yaml.in/yaml/v3"
)

// OverlayPatch is a finding's fix made in one overlay only, for when several overlays share
// the base: a new strategic-merge patch file beside the overlay's kustomization, and the edit
// that lists it under the kustomization's patches.
type OverlayPatch struct {
	File          string // absolute path of the new patch file
	Text          string
	Kustomization string     // the overlay's kustomization file
	Edits         []fix.Edit // against its text
}

// PatchFix returns f's fix as a patch of this overlay. It fails for a finding without a fix,
// and where a strategic merge cannot express it (a list item without a merge key).
func (b *Built) PatchFix(f Finding) (*OverlayPatch, error) {
	if !f.Fixable() || f.Doc < 0 || f.Doc >= len(b.Objects) || b.Objects[f.Doc].Root == nil {
		return nil, errors.New("the finding has no fix")
	}
	o := b.Objects[f.Doc]
	name := cmp.Or(o.OrigName, o.Name)
	meta := &yaml.Node{Kind: yaml.MappingNode}
	setKey(meta, "name", scalar(name))
	root := &yaml.Node{Kind: yaml.MappingNode}
	setKey(root, "apiVersion", scalar(yamldoc.ScalarString(yamldoc.MappingValue(o.Root, "apiVersion"))))
	setKey(root, "kind", scalar(o.Kind))
	setKey(root, "metadata", meta)
	for _, op := range f.Finding.Fix {
		if err := patchOp(root, o.Root, append(slices.Clone(f.Item), op.Path...), op); err != nil {
			return nil, fmt.Errorf("%s: %w", f.Rule, err)
		}
	}
	data, err := yaml.Marshal(root)
	if err != nil {
		return nil, err
	}
	file := filepath.Join(b.Root, fmt.Sprintf("kube-policy-ls-%s-%s.yaml", strings.ToLower(o.Kind), f.Rule))
	if _, err := os.Stat(file); err == nil {
		return nil, fmt.Errorf("%s exists already", filepath.Base(file))
	}
	return &OverlayPatch{File: file, Text: string(data), Kustomization: b.Top.File, Edits: []fix.Edit{b.Top.listPatch(filepath.Base(file))}}, nil
}

// patchOp writes one fix operation into the patch: the path's mappings as mappings, its list
// items as items with their merge key, the value at its end (null removes the field).
func patchOp(patch, built *yaml.Node, path []any, op fix.Op) error {
	p, bn := patch, built
	for i, step := range path {
		last := i == len(path)-1
		switch s := step.(type) {
		case string:
			if p.Kind != yaml.MappingNode {
				return fmt.Errorf("%v: not a mapping in the patch", path[:i])
			}
			if last {
				return setValue(p, s, yamldoc.MappingValue(bn, s), op)
			}
			next := yamldoc.MappingValue(p, s)
			bnext := yamldoc.MappingValue(bn, s)
			if next == nil {
				kind := yaml.MappingNode
				if _, isIndex := path[i+1].(int); isIndex {
					kind = yaml.SequenceNode
				}
				next = &yaml.Node{Kind: kind}
				setKey(p, s, next)
			}
			p, bn = next, bnext
		case int:
			if p.Kind != yaml.SequenceNode || bn == nil || s >= len(yamldoc.Deref(bn).Content) {
				return fmt.Errorf("%v: no such list item", path[:i+1])
			}
			item := yamldoc.Deref(yamldoc.Deref(bn).Content[s])
			key := ""
			for _, k := range mergeKeys {
				if yamldoc.MappingValue(item, k) != nil {
					key = k
					break
				}
			}
			if key == "" || last {
				return fmt.Errorf("%v: a strategic merge cannot name this list item", path[:i+1])
			}
			want := yamldoc.MappingValue(item, key).Value
			var next *yaml.Node
			for _, c := range p.Content {
				if yamldoc.ScalarString(yamldoc.MappingValue(c, key)) == want {
					next = c
				}
			}
			if next == nil {
				next = &yaml.Node{Kind: yaml.MappingNode}
				setKey(next, key, scalar(want))
				p.Content = append(p.Content, next)
			}
			p, bn = next, item
		default:
			return fmt.Errorf("%v: not a path", path)
		}
	}
	return errors.New("an empty path")
}

// setValue sets key of the patch mapping p for op: the value; for an "add" to a list of
// scalars (replaced whole by a strategic merge), the built list with the value added; null
// for a removal.
func setValue(p *yaml.Node, key string, built *yaml.Node, op fix.Op) error {
	var v yaml.Node
	switch {
	case op.Op == "remove":
		v = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
	default:
		if err := v.Encode(op.Value); err != nil {
			return err
		}
	}
	if op.Op == "add" && built != nil && yamldoc.Deref(built).Kind == yaml.SequenceNode && v.Kind != yaml.SequenceNode {
		list := &yaml.Node{Kind: yaml.SequenceNode, Content: slices.Clone(yamldoc.Deref(built).Content)}
		list.Content = append(list.Content, &v)
		setKey(p, key, list)
		return nil
	}
	setKey(p, key, &v)
	return nil
}

// listPatch is the edit that adds "- path: file" to the kustomization's patches: after its
// last entry, at its indentation, or as a new patches key at the end of the file.
func (k *Kustomization) listPatch(file string) fix.Edit {
	end := len(k.Text)
	seq := yamldoc.Deref(yamldoc.MappingValue(k.Doc.Root, fieldPatches))
	if seq != nil && seq.Kind == yaml.SequenceNode && len(seq.Content) > 0 && seq.Style&yaml.FlowStyle == 0 {
		// after the line where the last entry ends, at the column of its dash
		at := k.Doc.Offset + k.Doc.NodeEnd(seq.Content[len(seq.Content)-1])
		entry := strings.Repeat(" ", max(seq.Column-1, 0)) + "- path: " + file + "\n"
		if i := strings.IndexByte(k.Text[at:], '\n'); i >= 0 {
			at += i + 1
		} else {
			at, entry = len(k.Text), "\n"+entry
		}
		return fix.Edit{Range: yamldoc.Range{Start: at, End: at}, NewText: entry}
	}
	text := "patches:\n- path: " + file + "\n"
	if end > 0 && k.Text[end-1] != '\n' {
		text = "\n" + text
	}
	return fix.Edit{Range: yamldoc.Range{Start: end, End: end}, NewText: text}
}

func scalar(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: s} }

// setKey sets key in mapping m, replacing its value when the key is there.
func setKey(m *yaml.Node, key string, v *yaml.Node) {
	if i := yamldoc.KeyIndex(m, key); i >= 0 {
		m.Content[i+1] = v
		return
	}
	m.Content = append(m.Content, scalar(key), v)
}
