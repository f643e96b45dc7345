package analysis

import (
	"errors"
	"fmt"
	"slices"

	"github.com/kube-policy-ls/kube-policy-ls/analysis/fix"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"
)

// The fixes themselves are package fix's: this is where a Finding meets the document it is in.

// FixFailure is a finding whose fix could not be applied safely, and why.
type FixFailure struct {
	Finding Finding
	Err     error
}

// FixReport is the outcome of applying the fixes of several findings.
type FixReport struct {
	Edits  []fix.Edit // against the analysed text, sorted and non-overlapping
	Fixed  int        // findings whose fix was applied (or already held after earlier fixes)
	Failed []FixFailure
}

// FixEdits returns the edits that apply f's fix to the analysed text. They are nil when the fix
// changes nothing; the error says why a fix cannot be applied safely (a path through an alias
// or a merge key, a value of another type where a mapping or list is needed).
func (r *Result) FixEdits(f Finding) ([]fix.Edit, error) {
	if !f.Fixable() {
		return nil, fmt.Errorf("%s: no fix", f.Rule)
	}
	s, err := r.session(f.Doc)
	if err != nil {
		return nil, err
	}
	if err := s.Apply(fixesOf([]Finding{f}), nil); err != nil {
		return nil, err
	}
	return s.Edits(), nil
}

// fixesOf gives the fix package the findings' fixes.
func fixesOf(fs []Finding) []fix.Fix {
	out := make([]fix.Fix, len(fs))
	for i, f := range fs {
		out[i] = fix.Fix{Name: f.Rule, Item: f.Item, Ops: f.Fix}
	}
	return out
}

// FixAll applies the fixes of every fixable finding that keep accepts (all of them when keep
// is nil), as one set of edits. Fixes are applied one after the other, each on the result of
// the ones before, so that they compose; a fix that cannot be applied is skipped and reported.
func (r *Result) FixAll(keep func(*Finding) bool) FixReport {
	return r.fixAll(keep, true)
}

// fixAll is FixAll; without batching, every operation is applied on its own (the reference
// the batched rounds are tested against).
func (r *Result) fixAll(keep func(*Finding) bool, batched bool) FixReport {
	var rep FixReport
	byDoc := map[int][]Finding{}
	var docs []int
	for _, f := range r.Findings {
		if !f.Fixable() || (keep != nil && !keep(&f)) {
			continue
		}
		if _, seen := byDoc[f.Doc]; !seen {
			docs = append(docs, f.Doc)
		}
		byDoc[f.Doc] = append(byDoc[f.Doc], f)
	}
	for _, doc := range docs {
		fs := byDoc[doc]
		s, err := r.session(doc)
		if err != nil {
			for _, f := range fs {
				rep.Failed = append(rep.Failed, FixFailure{f, err})
			}
			continue
		}
		var failed []fix.Failure
		s.Sequential = !batched
		_ = s.Apply(fixesOf(fs), &failed)
		rep.Fixed += len(fs) - len(failed)
		for _, ff := range failed {
			rep.Failed = append(rep.Failed, FixFailure{fs[ff.Fix], ff.Err})
		}
		rep.Edits = append(rep.Edits, s.Edits()...)
	}
	return rep
}

// SuppressAnnotation is the annotation key that suppresses rule on an object (SPEC.md section 5).
func SuppressAnnotation(rule string) string { return "ignore.kube-policy-ls.io/" + rule }

// SuppressPlaceholder is the reason a suppression quick fix writes, for the user to replace.
const SuppressPlaceholder = "TODO: reason"

// SuppressEdits returns the edits that add the suppression annotation for f's rule to f's
// object (creating metadata.annotations when needed), with SuppressPlaceholder as its reason.
// The edits are nil when the object already has that annotation.
func (r *Result) SuppressEdits(f Finding) ([]fix.Edit, error) {
	if f.Object.Kind == "" || f.Rule == "" {
		return nil, fmt.Errorf("%s: the finding is not about an object", f.Rule)
	}
	path := []any{"metadata", "annotations", SuppressAnnotation(f.Rule)}
	s, err := r.session(f.Doc)
	if err != nil {
		return nil, err
	}
	if yamldoc.NodeAt(r.Docs[f.Doc].Doc.Root, append(slices.Clone(f.Item), path...)) != nil {
		return nil, nil
	}
	sup := fix.Fix{Name: f.Rule, Item: f.Item, Ops: []fix.Op{{Op: "set", Path: path, Value: SuppressPlaceholder}}}
	if err := s.Apply([]fix.Fix{sup}, nil); err != nil {
		return nil, err
	}
	return s.Edits(), nil
}

// session starts fixing document doc of the result.
func (r *Result) session(doc int) (*fix.Session, error) {
	if doc < 0 || doc >= len(r.Docs) || r.Docs[doc] == nil {
		return nil, fmt.Errorf("document %d is not in the analysis", doc)
	}
	d := r.Docs[doc].Doc
	if d.Dropped() {
		return nil, fmt.Errorf("document %d: its parsed YAML was released for a report (Result.CompactForReport)", doc)
	}
	if d.Root == nil || d.Mapper() == nil {
		return nil, fmt.Errorf("document %d did not parse", doc)
	}
	return fix.NewSession(d, toValue), nil
}

// FixText applies fixes to a YAML file that is not a manifest (a Helm chart's values.yaml):
// each fix's operations are on paths from the root of the file's first document that parses.
// It returns the edits, in file offsets, and the fixes that could not be applied safely.
func FixText(text string, fixes []fix.Fix) ([]fix.Edit, []fix.Failure, error) {
	return FixDocument(text, -1, fixes)
}

// FixDocument is FixText on document doc of the file (its index, counting empty documents),
// or, for doc -1, on the first document that parses: a patch or resource of a Kustomize
// overlay, whose fixes are carried to it from the built object.
func FixDocument(text string, doc int, fixes []fix.Fix) ([]fix.Edit, []fix.Failure, error) {
	for _, d := range yamldoc.SplitDocuments(text) {
		if doc >= 0 && d.Index != doc {
			continue
		}
		d.Parse()
		if d.Err != nil {
			return nil, nil, fmt.Errorf("document %d does not parse: %w", d.Index+1, d.Err)
		}
		if d.Root == nil {
			continue
		}
		var failed []fix.Failure
		s := fix.NewSession(d, toValue)
		_ = s.Apply(fixes, &failed)
		return s.Edits(), failed, nil
	}
	return nil, nil, errors.New("no YAML document to fix")
}
