package workspace

import (
	"cmp"
	"slices"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
)

// Catalog returns the union of the rule catalogs of the engines in force, sorted by rule id,
// for reports that cover files of several configurations. A rule id that two engines define
// differently (a custom rule of the same id in two policy directories, a severity that one
// configuration overrides) is described as the engine of the first scope defines it, scopes
// ordered by workspace folder, then configuration file path: the same answer on every run.
func (w *Workspace) Catalog() []analysis.Rule {
	seen := map[string]bool{}
	var out []analysis.Rule
	for _, e := range w.Engines() {
		for _, r := range e.Rules() {
			if !seen[r.ID] {
				seen[r.ID] = true
				out = append(out, r)
			}
		}
	}
	slices.SortFunc(out, func(a, b analysis.Rule) int { return cmp.Compare(a.ID, b.ID) })
	return out
}
