package main

import (
	"cmp"
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
	root       string // absolute
	findings   []overlayFinding
	suppressed []overlayFinding
	objects    int
	// placed are the overlay's own findings before merging (mergeOverlays), for --fix.
	placed []kustomize.Finding
	supp   []kustomize.Finding
}

// overlayFinding is a finding of one or more overlays, with paths as the user named them.
type overlayFinding struct {
	kustomize.Finding
	file     string
	sp       span
	overlays []string // as walked
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
	c.overlay = &overlayChecked{root: src.overlay, objects: res.Objects, placed: res.Findings, supp: res.Suppressed}
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
	for i, c := range results {
		switch {
		case c.overlay != nil:
			names[c.overlay.root], owner[c.overlay.root] = overlayName(c.src), i
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
	rest, named := kustomize.Join(placed, own)
	name(named)
	for _, f := range rest {
		oc := results[owner[f.Overlays[0]]].overlay
		oc.findings = append(oc.findings, newOverlayFinding(f, names))
	}
	rest, named = kustomize.Join(supp, own)
	name(named)
	for _, f := range rest {
		oc := results[owner[f.Overlays[0]]].overlay
		oc.suppressed = append(oc.suppressed, newOverlayFinding(f, names))
	}
}

func newOverlayFinding(f kustomize.Finding, names map[string]string) overlayFinding {
	of := overlayFinding{Finding: f, sp: span{f.At.Line, f.At.Column, f.At.EndLine, f.At.EndColumn}}
	for _, o := range f.Overlays {
		of.overlays = append(of.overlays, names[o])
	}
	// the file as the user would name it: under the overlay's path as walked
	first := f.Overlays[0]
	of.file = f.At.File
	if rel, err := filepath.Rel(first, f.At.File); err == nil {
		of.file = filepath.Clean(filepath.Join(names[first], rel))
	}
	return of
}

// shownOverlay returns the overlay findings a text report lists: the suppressed ones too
// when asked, in file and line order.
func (r report) shownOverlay(c *overlayChecked) []overlayFinding {
	all := c.findings
	if r.showSuppressed {
		all = append(slices.Clone(all), c.suppressed...)
	}
	slices.SortStableFunc(all, func(a, b overlayFinding) int {
		return cmp.Or(strings.Compare(a.file, b.file), cmp.Compare(a.sp.Line, b.sp.Line), cmp.Compare(a.sp.Column, b.sp.Column))
	})
	return all
}

// textOverlayFinding prints an overlay finding as text does a file's, with the overlays
// after the message.
func (r report) textOverlayFinding(f overlayFinding, lines fileLines, paint func(code, s string) string) {
	msg := f.Message + overlayNote(f.overlays)
	if f.Suppressed != nil {
		msg += fmt.Sprintf(" [suppressed by %s: %s]", f.Suppressed.By, f.Suppressed.Reason)
	}
	fmt.Fprintf(r.stdout, "%s: %s %s: %s\n",
		paint("\x1b[1m", fmt.Sprintf("%s:%d:%d", f.file, f.sp.Line, f.sp.Column)),
		paint(severityColor[f.Severity], f.Severity.String()), paint("\x1b[2m", f.Rule), msg)
	line, ok := lines.line(f.At.File, f.sp.Line)
	if !ok || len(line) > 300 {
		return
	}
	width := f.sp.EndColumn - f.sp.Column
	if f.sp.EndLine != f.sp.Line {
		width = len([]rune(line)) - f.sp.Column + 1
	}
	fmt.Fprintf(r.stdout, "  %s\n  %s%s\n", line, strings.Repeat(" ", max(f.sp.Column-1, 0)),
		paint(severityColor[f.Severity], "^"+strings.Repeat("~", max(width-1, 0))))
}

// overlayJSON is a finding of --format json, at its placed location, with its overlays.
func (f overlayFinding) json() jsonFinding {
	return jsonFinding{
		Rule: f.Rule, Severity: f.Severity, Message: f.Message, File: f.file,
		Line: f.sp.Line, Column: f.sp.Column, EndLine: f.sp.EndLine, EndColumn: f.sp.EndColumn,
		Object: f.Object, Path: append(slices.Clone(f.Item), f.Path...), Fixable: f.FixFile != "",
		Suppressed: f.Suppressed, Overlay: f.overlays[0], Overlays: f.overlays,
	}
}

// sarifOverlayResults are an overlay's findings at their placed locations.
func sarifOverlayResults(c *overlayChecked, index map[string]int) []sarifResult {
	var out []sarifResult
	for _, f := range append(slices.Clone(c.findings), c.suppressed...) {
		res := sarifResult{
			RuleID: f.Rule, RuleIndex: index[f.Rule], Level: sarifLevelOf(f.Severity),
			Message: sarifText{Text: f.Message + overlayNote(f.overlays)},
			Locations: []sarifLocation{{Physical: sarifPhysical{
				Artifact: sarifArtifact{URI: filepath.ToSlash(f.file)},
				Region:   sarifRegion{f.sp.Line, f.sp.Column, f.sp.EndLine, f.sp.EndColumn},
			}}},
		}
		if f.Suppressed != nil {
			res.Suppressions = []sarifSuppression{{Kind: "inSource", Justification: f.Suppressed.By + ": " + f.Suppressed.Reason}}
		}
		out = append(out, res)
	}
	return out
}

// jsonOverlayFindings lists an overlay's findings (suppressed ones marked) for the findings
// array, as jsonFindings does a file's.
func jsonOverlayFindings(c *overlayChecked) []jsonFinding {
	all := append(slices.Clone(c.findings), c.suppressed...)
	fs := make([]jsonFinding, 0, len(all))
	for _, f := range all {
		fs = append(fs, f.json())
	}
	return fs
}

// first is the first of a list, "" for none.
func first(l []string) string {
	if len(l) == 0 {
		return ""
	}
	return l[0]
}
