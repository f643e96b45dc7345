// Package kustomize builds Kustomize overlays in-process, offline, and maps every finding on
// the built output back to what set the field: a patch line, a transformer entry of a
// kustomization, or the base resource's line. It knows nothing of the language server or
// the CLI.
package kustomize

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"

	"go.yaml.in/yaml/v3"
)

// FileNames are the names that make a directory a kustomization, in the order kustomize
// looks for them.
var FileNames = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

// ReadFunc reads a file: the editor's unsaved text where it has one, else the disk.
type ReadFunc func(path string) ([]byte, error)

// FileIn returns the kustomization file of dir, "" when dir has none.
func FileIn(dir string) string {
	for _, n := range FileNames {
		p := filepath.Join(dir, n)
		if info, err := os.Stat(p); err == nil && info.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

// IsFileName reports whether name (a base name) is one of a kustomization's file names.
func IsFileName(name string) bool {
	for _, n := range FileNames {
		if n == name {
			return true
		}
	}
	return false
}

// Kustomization is one parsed kustomization file, with the position of every entry.
type Kustomization struct {
	File   string // absolute
	Dir    string
	Kind   string // "Kustomization" or "Component"
	Text   string
	Doc    *yamldoc.Document
	Refs   []Ref     // every path it names, in file order
	Writes []*Writer // its patches and transformer entries, in kustomize's order
	ErrMsg string    // why it does not parse; "" when it does
	ErrAt  int       // the document-relative offset of the parse problem

	subs, components []*Kustomization // the kustomizations it builds on, in order
	files            []string         // the resource files it lists itself
	reach            map[string]bool  // every resource file it accumulates (Overlay.scopes)
}

// Ref is an entry of a kustomization that names a file or directory.
type Ref struct {
	Field string // resources, bases, components, patches, ...
	Path  string // as written
	Abs   string // resolved against the kustomization's directory; "" for a remote
	Item  []any  // path of the entry in the kustomization's document
}

// refFields are the fields whose entries (strings, or mappings with a path) name files.
var refFields = []string{"resources", "bases", "components", "crds", "transformers", "generators", "validators"}

// parseKustomization reads a kustomization's entries. A file that does not parse gives a
// Kustomization with ErrMsg set, so the problem is reported on it.
func parseKustomization(file string, text []byte) *Kustomization {
	k := &Kustomization{File: file, Dir: filepath.Dir(file), Text: string(text), Kind: "Kustomization"}
	docs := yamldoc.SplitDocuments(k.Text)
	for _, d := range docs {
		d.Parse()
		if d.Err != nil {
			k.ErrMsg = fmt.Sprintf("%s does not parse: %v", filepath.Base(file), d.Err)
			k.Doc, k.ErrAt = d, d.Err.Range.Start
			return k
		}
		if d.Root != nil && k.Doc == nil {
			k.Doc = d
		}
	}
	if k.Doc == nil || k.Doc.Root.Kind != yaml.MappingNode {
		k.ErrMsg = filepath.Base(file) + " is not a YAML mapping"
		if k.Doc == nil && len(docs) > 0 {
			k.Doc = docs[0]
		}
		return k
	}
	root := k.Doc.Root
	if kind := yamldoc.ScalarString(yamldoc.MappingValue(root, "kind")); kind != "" {
		k.Kind = kind
	}
	for _, field := range refFields {
		for i, n := range seqItems(yamldoc.MappingValue(root, field)) {
			if s := yamldoc.ScalarString(n); s != "" && !strings.Contains(s, "\n") {
				k.addRef(field, s, []any{field, i})
			}
		}
	}
	for _, gen := range []string{"configMapGenerator", "secretGenerator"} {
		for gi, g := range seqItems(yamldoc.MappingValue(root, gen)) {
			for _, f := range []string{"files", "envs"} {
				for i, n := range seqItems(yamldoc.MappingValue(g, f)) {
					s := yamldoc.ScalarString(n)
					if j := strings.Index(s, "="); j >= 0 && f == "files" {
						s = s[j+1:]
					}
					if s != "" {
						k.addRef(gen, s, []any{gen, gi, f, i})
					}
				}
			}
			if s := yamldoc.ScalarString(yamldoc.MappingValue(g, "env")); s != "" {
				k.addRef(gen, s, []any{gen, gi, "env"})
			}
		}
	}
	for i, r := range seqItems(yamldoc.MappingValue(root, "replacements")) {
		if s := yamldoc.ScalarString(yamldoc.MappingValue(r, "path")); s != "" {
			k.addRef("replacements", s, []any{"replacements", i})
		}
	}
	if s := yamldoc.ScalarString(yamldoc.MappingValue(yamldoc.MappingValue(root, "openapi"), "path")); s != "" {
		k.addRef("openapi", s, []any{"openapi"})
	}
	k.Writes = k.writers()
	return k
}

func (k *Kustomization) addRef(field, path string, item []any) {
	r := Ref{Field: field, Path: path, Item: item}
	if !IsRemote(path) {
		r.Abs = filepath.Clean(filepath.Join(k.Dir, filepath.FromSlash(path)))
	}
	k.Refs = append(k.Refs, r)
}

// IsRemote reports whether a kustomization entry names a remote resource (a URL, a git
// repository), which is never fetched.
func IsRemote(path string) bool {
	switch {
	case strings.Contains(path, "://"), strings.HasPrefix(path, "git@"), strings.HasPrefix(path, "git::"):
		return true
	case strings.Contains(path, "?ref=") || strings.Contains(path, "?version="):
		return true
	}
	for _, host := range []string{"github.com/", "gitlab.com/", "bitbucket.org/"} {
		if strings.HasPrefix(path, host) {
			return true
		}
	}
	return false
}

// seqItems returns the items of a sequence node, nil for anything else.
func seqItems(n *yaml.Node) []*yaml.Node {
	n = yamldoc.Deref(n)
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	return n.Content
}
