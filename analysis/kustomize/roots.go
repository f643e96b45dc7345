package kustomize

import (
	"cmp"
	"slices"
	"strings"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
)

// Roots returns the overlay roots under dir (absolute): every directory with a kustomization
// of kind Kustomization (a Component is built only through the overlays that use it), hidden
// directories, node_modules and directories that cannot be read left out, sorted. The error
// is dir's own.
func Roots(dir string, read ReadFunc) ([]string, error) {
	return walkRoots(dir, "", read, nil)
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
// with every overlay that has it, in file and line order. overlays are the overlays whose
// checks are merged: a suppression comment in a fragment is unused only when every one of
// them that reads the file as a fragment found it unused (a component's patch, read by
// several overlays, may suppress a finding of one of them only).
func Merge(fs []Finding, overlays []*Overlay) []Finding {
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
	out = slices.DeleteFunc(out, func(f Finding) bool { return f.Rule == analysis.RuleUnusedSuppression && usedElsewhere(f, overlays) })
	slices.SortStableFunc(out, func(a, b Finding) int {
		return cmp.Or(strings.Compare(a.At.File, b.At.File), cmp.Compare(a.At.Line, b.At.Line),
			cmp.Compare(a.At.Column, b.At.Column), strings.Compare(a.Rule, b.Rule))
	})
	return out
}

// usedElsewhere reports whether an overlay that reads the file of an unused suppression as a
// fragment did not find it unused.
func usedElsewhere(f Finding, overlays []*Overlay) bool {
	for _, o := range overlays {
		if o != nil && o.Fragment(f.At.File) && !slices.Contains(f.Overlays, o.Root) {
			return true
		}
	}
	return false
}

// Place is where a finding is reported: a file (absolute), a line (1-based) and a rule. No
// two findings are reported at one place, whether a file's own check or overlays found them.
type Place struct {
	File string
	Line int
	Rule string
}

// Join merges the overlays' findings with those of the files checked on their own (own, by
// place: reported or suppressed there): an overlay finding at a place of own is that
// finding, and its overlays are returned in named for it to name; the others are merged
// across overlays (Merge, of the checks of overlays) and returned in rest.
func Join(placed []Finding, own map[Place]bool, overlays []*Overlay) (rest []Finding, named map[Place][]string) {
	named = map[Place][]string{}
	for _, f := range Merge(placed, overlays) {
		p := Place{f.At.File, f.At.Line, f.Rule}
		if !own[p] {
			rest = append(rest, f)
			continue
		}
		for _, o := range f.Overlays {
			if !slices.Contains(named[p], o) {
				named[p] = append(named[p], o)
			}
		}
	}
	return rest, named
}

// OwnPlaces adds to into the places of the findings of file checked on its own, reported and
// suppressed.
func OwnPlaces(file string, res *analysis.Result, into map[Place]bool) {
	for _, fs := range [][]analysis.Finding{res.Findings, res.Suppressed} {
		for _, f := range fs {
			into[Place{file, res.Mapper.LineOf(f.Range.Start) + 1, f.Rule}] = true
		}
	}
}
