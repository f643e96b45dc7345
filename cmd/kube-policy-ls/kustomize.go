package main

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/kustomize"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/workspace"
)

// A Kustomize overlay is checked through what it builds (SPEC.md section 2): each finding is
// reported where its field is set (a patch line, a transformer entry of a kustomization, the
// base resource's line), once per (file, line, rule), naming the overlays that build it. A
// finding that a file checked on its own also has is that file's finding, with the overlays
// added; the kustomizations and patch files themselves are not checked as manifests.

// overlayChecked is the outcome of building and checking one overlay.
type overlayChecked struct {
	placedFindings
	root string // absolute
	// placed are the overlay's own findings before merging (mergeOverlays), for --fix.
	placed []kustomize.Finding
	supp   []kustomize.Finding
	read   *kustomize.Overlay // what it reads, for kustomize.Join
}

// overlayKey names a finding of a file checked on its own: its line and rule.
type overlayKey struct {
	line int
	rule string
}

// overlayNote is what a report adds to a message: the overlays that build the finding.
func overlayNote(overlays []string) string {
	switch len(overlays) {
	case 0:
		return ""
	case 1:
		return " (overlay " + overlays[0] + ")"
	}
	return " (overlays " + strings.Join(overlays, ", ") + ")"
}

// overlaysOf returns the overlays that also build a finding of a file checked on its own.
func (c checked) overlaysOf(f analysis.Finding) []string {
	if c.inOverlays == nil || c.result == nil {
		return nil
	}
	return c.inOverlays[overlayKey{c.result.Mapper.LineOf(f.Range.Start) + 1, f.Rule}]
}

// selectOverlays drops the overlays that --kustomize=false or their configuration's
// kustomize: false turn off, and the files that the remaining ones read as kustomizations
// or patches, unless the user named them.
func selectOverlays(ctx context.Context, sources []source, ws *workspace.Workspace, opts checkOptions) []source {
	fragment := map[string]bool{}
	out := sources[:0]
	for _, s := range sources {
		if s.overlay == "" {
			out = append(out, s)
			continue
		}
		if v, err := ws.File(ctx, kustomize.FileIn(s.overlay)); !opts.kustomize || err == nil && v.Engine != nil && !v.Engine.Config().KustomizeEnabled() {
			if s.only != "" { // a fragment named on the command line: a file like any other
				out = append(out, source{path: s.path, named: true})
			}
			continue
		}
		o := kustomize.Load(s.overlay, nil)
		for _, f := range o.Files {
			if o.Fragment(f) {
				fragment[f] = true
			}
		}
		out = append(out, s)
	}
	kept := out[:0]
	for _, s := range out {
		if s.overlay == "" && !s.named && s.path != "-" && fragment[absPath(s.path)] {
			continue
		}
		kept = append(kept, s)
	}
	return kept
}

// checkOverlay builds the overlay of src and checks what it builds.
func checkOverlay(ctx context.Context, src source, ws *workspace.Workspace) checked {
	c := checked{src: src}
	v, err := ws.File(ctx, kustomize.FileIn(src.overlay))
	if err == nil && v.Err != nil {
		err = v.Err
	}
	switch {
	case err != nil:
		c.err = err
		return c
	case v.Excluded:
		c.excluded = true
		return c
	}
	b, err := kustomize.Build(ctx, src.overlay, kustomize.Options{})
	if err != nil {
		c.err = fmt.Errorf("building overlay %s: %w", src.path, err)
		return c
	}
	res, err := b.Check(ctx, v.Engine, nil)
	if err != nil {
		c.err = err
		return c
	}
	c.overlay = &overlayChecked{
		placedFindings: placedFindings{objects: res.Objects},
		root:           src.overlay, placed: res.Findings, supp: res.Suppressed, read: b.Overlay,
	}
	if src.only != "" {
		in := func(f kustomize.Finding) bool { return f.At.File != src.only }
		c.overlay.placed = slices.DeleteFunc(c.overlay.placed, in)
		c.overlay.supp = slices.DeleteFunc(c.overlay.supp, in)
	}
	return c
}

// overlayOfFragment returns the overlay root at or above file's directory that reads file as
// a kustomization or patch, "" for none: such a file named on the command line is checked
// through that overlay's build.
func overlayOfFragment(file string) string {
	for dir := filepath.Dir(file); ; dir = filepath.Dir(dir) {
		if kustomize.IsRoot(dir, nil) && kustomize.Load(dir, nil).Fragment(file) {
			return dir
		}
		if filepath.Dir(dir) == dir {
			return ""
		}
	}
}

// overlayName is the overlay of a source as the user would name it: the directory as walked,
// or, for a file named in it, the overlay's directory relative to that file's.
func overlayName(src source) string {
	if src.only == "" {
		return src.path
	}
	if rel, err := filepath.Rel(filepath.Dir(src.only), src.overlay); err == nil {
		return filepath.Clean(filepath.Join(filepath.Dir(src.path), rel))
	}
	return src.overlay
}

// mergeOverlays reports each overlay finding once (kustomize.Join): a finding that a file
// checked on its own has (same file, line and rule) gets the overlays added to it; the others
// are merged across overlays and listed under the first overlay that builds them.
func mergeOverlays(results []checked) {
	names := map[string]string{} // overlay root -> as walked
	owner := map[string]int{}    // overlay root -> index in results
	plain := map[string]int{}    // absolute file -> index in results
	own := map[kustomize.Place]bool{}
	var placed, supp []kustomize.Finding
	var overlays []*kustomize.Overlay
	for i, c := range results {
		switch {
		case c.overlay != nil:
			names[c.overlay.root], owner[c.overlay.root] = overlayName(c.src), i
			overlays = append(overlays, c.overlay.read)
			placed = append(placed, c.overlay.placed...)
			supp = append(supp, c.overlay.supp...)
			c.overlay.findings, c.overlay.suppressed = nil, nil
		case c.result != nil && c.src.path != "-":
			plain[absPath(c.src.path)] = i
			kustomize.OwnPlaces(absPath(c.src.path), c.result, own)
		}
	}
	if len(names) == 0 {
		return
	}
	name := func(named map[kustomize.Place][]string) {
		for p, roots := range named {
			c := &results[plain[p.File]]
			if c.inOverlays == nil {
				c.inOverlays = map[overlayKey][]string{}
			}
			k := overlayKey{p.Line, p.Rule}
			for _, o := range roots {
				if !slices.Contains(c.inOverlays[k], names[o]) {
					c.inOverlays[k] = append(c.inOverlays[k], names[o])
				}
			}
		}
	}
	rest, named := kustomize.Join(placed, own, overlays)
	name(named)
	for _, f := range rest {
		oc := results[owner[f.Overlays[0]]].overlay
		oc.findings = append(oc.findings, newOverlayFinding(f, names))
	}
	rest, named = kustomize.Join(supp, own, overlays)
	name(named)
	for _, f := range rest {
		oc := results[owner[f.Overlays[0]]].overlay
		oc.suppressed = append(oc.suppressed, newOverlayFinding(f, names))
	}
}

// newOverlayFinding places an overlay's finding as the reports print it.
func newOverlayFinding(f kustomize.Finding, names map[string]string) placedFinding {
	of := placedFinding{
		Finding: f.Finding, source: f.At.File, fixable: f.FixFile != "",
		span: span{f.At.Line, f.At.Column, f.At.EndLine, f.At.EndColumn},
	}
	for _, o := range f.Overlays {
		of.overlays = append(of.overlays, names[o])
	}
	// the file as the user would name it: under the overlay's path as walked
	root := f.Overlays[0]
	of.file = f.At.File
	if rel, err := filepath.Rel(root, f.At.File); err == nil {
		of.file = filepath.Clean(filepath.Join(names[root], rel))
	}
	return of
}

// first is the first of a list, "" for none.
func first(l []string) string {
	if len(l) == 0 {
		return ""
	}
	return l[0]
}
