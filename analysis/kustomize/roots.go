package kustomize

import (
	"cmp"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
)

// Roots returns the overlay roots under dir (absolute): every directory with a kustomization
// of kind Kustomization (a Component is built only through the overlays that use it), hidden
// directories and node_modules left out, sorted.
func Roots(dir string, read ReadFunc) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if path != dir && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if IsRoot(path, read) {
			out = append(out, path)
		}
		return nil
	})
	slices.Sort(out)
	return out, err
}

// IsRoot reports whether dir is an overlay root: it has a kustomization that is not a
// Component.
func IsRoot(dir string, read ReadFunc) bool {
	file := FileIn(dir)
	if file == "" {
		return false
	}
	if read == nil {
		read = readDisk
	}
	text, err := read(file)
	if err != nil {
		return false
	}
	k := parseKustomization(file, text)
	return k.ErrMsg != "" || k.Kind != "Component"
}

// Fragment reports whether the overlay reads file as a kustomization or a patch: such a file
// is only meaningful through the build, and is not checked as a manifest of its own.
func (o *Overlay) Fragment(file string) bool { return o.fragments[file] }

// Merge joins the findings of several overlays' checks: one finding per (file, line, rule),
// with every overlay that has it, in file and line order.
func Merge(fs []Finding) []Finding {
	type key struct {
		file string
		line int
		rule string
	}
	index := map[key]int{}
	var out []Finding
	for _, f := range fs {
		k := key{f.At.File, f.At.Line, f.Rule}
		if i, ok := index[k]; ok {
			for _, o := range f.Overlays {
				if !slices.Contains(out[i].Overlays, o) {
					out[i].Overlays = append(out[i].Overlays, o)
				}
			}
			slices.Sort(out[i].Overlays)
			continue
		}
		index[k] = len(out)
		f.Overlays = slices.Clone(f.Overlays)
		out = append(out, f)
	}
	slices.SortStableFunc(out, func(a, b Finding) int {
		return cmp.Or(strings.Compare(a.At.File, b.At.File), cmp.Compare(a.At.Line, b.At.Line),
			cmp.Compare(a.At.Column, b.At.Column), strings.Compare(a.Rule, b.Rule))
	})
	return out
}
