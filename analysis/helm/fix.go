package helm

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kube-policy-ls/kube-policy-ls/analysis/fix"
)

// ValuesFix is part of a finding's fix carried into a values file: operations on paths from
// the file's root.
type ValuesFix struct {
	File string // absolute
	Ops  []fix.Op
}

// ValuesFixes returns a finding's fix as edits of the values files that supply the value:
// when the value comes from values (not a guard, not --set) and every operation of the fix
// lands under the values the template read. An operation on a key that no values file has
// yet goes to the file that has its nearest parent; values of a vendored subchart go to the
// chart's own values.yaml, under the subchart's key, as its users override them. Nil when
// the fix cannot be carried to the values.
func (c *Chart) ValuesFixes(f Finding) []ValuesFix {
	v := f.Values
	if v == nil || f.Guard || !f.Fixable() || v.File == "" {
		return nil
	}
	var out []ValuesFix
	for _, op := range f.Fix {
		rest, ok := trimPrefix(op.Path, v.anchor)
		if !ok {
			return nil
		}
		full := append(slices.Clone(v.base), rest...)
		file, rel, ok := c.values.target(full, len(v.base))
		if !ok {
			return nil
		}
		i := slices.IndexFunc(out, func(vf ValuesFix) bool { return vf.File == file })
		if i < 0 {
			out = append(out, ValuesFix{File: file})
			i = len(out) - 1
		}
		vop := fix.Op{Op: op.Op, Path: rel, Value: op.Value}
		if op.Op == "remove" && len(rest) == 0 {
			// The template prints this value itself: removing the key would bring back a
			// default (a subchart's, a template's). A flag is turned off instead; anything
			// else is set to null, which renders nothing.
			vop = fix.Op{Op: "set", Path: rel, Value: nil}
			if cur, _ := lookup(map[string]any(c.values.merged), full); cur == true {
				vop.Value = false
			}
		}
		out[i].Ops = append(out[i].Ops, vop)
	}
	return out
}

// FixSet is the values fixes of several findings, by file, each distinct operation once
// (containers rendered from one values key share its fix).
type FixSet struct {
	Files    []string             // sorted
	Fixes    map[string][]fix.Fix // by file: one per finding, named by its rule
	Findings map[string][]Finding // by file: the findings fixed there
}

// ValuesFixSet gathers the values fixes of findings.
func (c *Chart) ValuesFixSet(fs []Finding) FixSet {
	set := FixSet{Fixes: map[string][]fix.Fix{}, Findings: map[string][]Finding{}}
	seen := map[string]bool{}
	for _, f := range fs {
		for _, vf := range c.ValuesFixes(f) {
			var ops []fix.Op
			for _, op := range vf.Ops {
				key := fmt.Sprintf("%s %s %v %#v", vf.File, op.Op, op.Path, op.Value)
				if !seen[key] {
					seen[key] = true
					ops = append(ops, op)
				}
			}
			if _, known := set.Fixes[vf.File]; !known {
				set.Files = append(set.Files, vf.File)
			}
			set.Findings[vf.File] = append(set.Findings[vf.File], f)
			if len(ops) > 0 {
				set.Fixes[vf.File] = append(set.Fixes[vf.File], fix.Fix{Name: f.Rule, Ops: ops})
			}
		}
	}
	slices.Sort(set.Files)
	return set
}

// target is the values file an operation on values path full is written to, and the path
// in it: the file that sets full, else the one that sets its nearest parent (no shorter than
// floor elements).
func (vs *valueSources) target(full []any, floor int) (string, []any, bool) {
	for n := len(full); n >= floor && n > 0; n-- {
		file, rel, ok := vs.locateFile(full[:n])
		if !ok {
			continue
		}
		rel = append(slices.Clone(rel), full[n:]...)
		if vs.chartValues != "" && file != vs.chartValues && isChartValues(vs, file) {
			// a subchart's defaults: override them in the chart's own values.yaml
			return vs.chartValues, full, true
		}
		return file, rel, true
	}
	return "", nil, false
}

// isChartValues reports whether file is the values.yaml of the chart or of a subchart.
func isChartValues(vs *valueSources, file string) bool {
	for _, f := range vs.files {
		if f.path == file && f.chart {
			return true
		}
	}
	return false
}

// valuesFileOf returns the chart's values.yaml among the sources, "" when it has none.
func valuesFileOf(vs *valueSources, root string) string {
	want := filepath.Join(root, "values.yaml")
	for _, f := range vs.files {
		if f.chart && strings.EqualFold(f.path, want) {
			return f.path
		}
	}
	return ""
}
