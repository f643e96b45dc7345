package kustomize

import (
	"context"
	"fmt"
	"slices"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/fix"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"

	"go.yaml.in/yaml/v3"
)

// Finding is a finding of the engine on a built object, placed where the field is set.
type Finding struct {
	analysis.Finding          // Range is in Built.Text
	Overlays         []string // the overlay roots (absolute) whose builds have it, sorted
	At               Location // the patch line, transformer entry or base line that set the field
	By               string   // what set it: "resource" (the base), or the kustomization field
	// FixFile is the file the fix edits (the base resource, or the strategic-merge patch file
	// that set the field), "" when the fix cannot be placed; Fix is the fix on that file's
	// document FixDoc.
	FixFile string
	FixDoc  int
	Fix     fix.Fix
}

// ByResource is Finding.By for a field no patch or transformer set.
const ByResource = "resource"

// Checked is the analysis of a built overlay.
type Checked struct {
	Findings   []Finding
	Suppressed []Finding
	Objects    int
	Result     *analysis.Result // of Built.Text
}

// Check analyses the built objects with the engine and places each finding; the overlay's
// problems are findings of rule kustomize-build at their entries. prev, an earlier check's
// Result (of this overlay's last build, or of another overlay's: many build the same
// objects), lets the objects built identically be reused without evaluating them again.
func (b *Built) Check(ctx context.Context, e *analysis.Engine, prev *analysis.Result) (_ *Checked, err error) {
	defer func() {
		// a placement this package gets wrong is this overlay's error, not the process's end
		if r := recover(); r != nil {
			err = fmt.Errorf("placing the findings of overlay %s: %v", b.Root, r)
		}
	}()
	out := &Checked{}
	for _, p := range b.Problems {
		out.Findings = append(out.Findings, Finding{
			Finding:  analysis.Finding{Rule: analysis.RuleKustomizeBuild, Severity: e.Severity(analysis.RuleKustomizeBuild), Message: p.Msg},
			Overlays: []string{b.Root}, At: p.Location, By: "kustomization",
		})
	}
	if b.Text == "" {
		return out, nil
	}
	res, err := e.Analyze(ctx, analysis.Input{Path: b.Top.File, Text: b.Text}, prev)
	if err != nil {
		return nil, fmt.Errorf("analysing the build of %s: %w", b.Root, err)
	}
	out.Result, out.Objects = res, res.Objects
	for i, d := range res.Docs {
		if i < len(b.Objects) && d != nil && d.Doc != nil {
			b.Objects[i].Root = d.Doc.Root
		}
	}
	for _, f := range res.Findings {
		// whether a suppression is used is for the file's own check to say: one overlay
		// that patches the problem away does not make it unused
		if f.Rule != analysis.RuleUnusedSuppression {
			out.Findings = append(out.Findings, b.place(f))
		}
	}
	for _, f := range res.Suppressed {
		out.Suppressed = append(out.Suppressed, b.place(f))
	}
	b.suppressPlaced(e, out)
	return out, nil
}

// place finds what set the finding's field: the last writer that wrote it, else the base
// resource. A missing field is placed on its owner in the base resource (SPEC.md section 3),
// unless a JSON 6902 operation removed it or the owner itself came from a patch.
func (b *Built) place(f analysis.Finding) Finding {
	pf := Finding{Finding: f, Overlays: []string{b.Root}, By: ByResource}
	if f.Doc < 0 || f.Doc >= len(b.Objects) || b.Objects[f.Doc].Root == nil {
		pf.At, pf.By = b.Top.location([]any{"kind"}), "kustomization"
		return pf
	}
	o := b.Objects[f.Doc]
	full := append(slices.Clone(f.Item), f.Path...)
	if len(full) == 0 { // about the object as a whole
		b.placeInResource(&pf, o, full)
		return pf
	}
	writers := b.applying(o)
	steps := yamldoc.Walk(o.Root, full)
	if len(steps) == len(full) {
		if n := yamldoc.Deref(steps[len(steps)-1].Node); n != nil && n.Kind != yaml.ScalarNode && o.Doc != nil {
			// a whole container or volume: patches merge into it; it is where it was created
			if _, complete := localPath(o.Doc.Root, o.Root, full); complete {
				b.placeInResource(&pf, o, full)
				return pf
			}
		}
		for i := len(writers) - 1; i >= 0; i-- {
			if loc, local, ok := writers[i].wrote(o, full); ok {
				pf.At, pf.By = loc, writers[i].Field
				if local != nil && writers[i].Src.lineBase < 0 {
					pf.setFix(writers[i].Src.File, writers[i].Doc, o)
				}
				return pf
			}
		}
		b.placeInResource(&pf, o, full)
		return pf
	}
	for i := len(writers) - 1; i >= 0; i-- {
		if loc, ok := writers[i].removed(full, len(steps)); ok {
			pf.At, pf.By = loc, writers[i].Field
			return pf
		}
	}
	owner := full[:len(steps)]
	if o.Doc != nil {
		if _, complete := localPath(o.Doc.Root, o.Root, owner); complete {
			b.placeInResource(&pf, o, full)
			return pf
		}
	}
	for i := len(writers) - 1; i >= 0; i-- {
		w := writers[i]
		if _, local, ok := w.wrote(o, owner); ok {
			pf.By = w.Field
			if local == nil { // a JSON 6902 operation or a transformer: its own line
				pf.At, _, _ = w.wrote(o, owner)
				return pf
			}
			pf.At = w.Src.location(w.Doc, w.Doc.PathRange(yamldoc.Object{}, append(local, full[len(owner):]...)))
			if w.Src.lineBase < 0 {
				pf.setFix(w.Src.File, w.Doc, o)
			}
			return pf
		}
	}
	b.placeInResource(&pf, o, full)
	return pf
}

// placeInResource places the finding in the object's resource document: the field, or, as
// far as the path exists there, its owner.
func (b *Built) placeInResource(pf *Finding, o *Object, full []any) {
	if o.Doc == nil { // a generated object: its kustomization
		pf.At, pf.By = b.Top.location([]any{"kind"}), "kustomization"
		return
	}
	local, _ := localPath(o.Doc.Root, o.Root, full)
	pf.At = o.Src.location(o.Doc, o.Doc.PathRange(yamldoc.Object{}, append(local, full[len(local):]...)))
	pf.setFix(o.Origin, o.Doc, o)
}

// setFix carries the finding's fix into document d of file: every operation's path is
// followed through d as the field's was.
func (pf *Finding) setFix(file string, d *yamldoc.Document, o *Object) {
	if !pf.Fixable() || d == nil {
		return
	}
	var ops []fix.Op
	for _, op := range pf.Finding.Fix {
		full := append(slices.Clone(pf.Item), op.Path...)
		local, _ := localPath(d.Root, o.Root, full)
		ops = append(ops, fix.Op{Op: op.Op, Path: append(local, full[len(local):]...), Value: op.Value})
	}
	pf.FixFile, pf.FixDoc, pf.Fix = file, d.Index, fix.Fix{Name: pf.Rule, Ops: ops}
}

// applying are the writers that apply to o, in order.
func (b *Built) applying(o *Object) []*Writer {
	var out []*Writer
	for _, w := range b.Writers {
		if w.applies(o) {
			out = append(out, w)
		}
	}
	return out
}
