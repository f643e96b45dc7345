package main

import (
	"cmp"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
)

// A chart is checked through what it renders and an overlay through what it builds; each
// finding is then placed in a file the user edits (a template, a values file, a patch, a
// base resource). From there the two are reported alike: the chart and overlay code fill in
// a placedFinding, and the reports read only that.

// placedFinding is a finding of a chart or an overlay, at the place in its files that set the
// field, with the paths as the user named them.
type placedFinding struct {
	analysis.Finding // Range is in the rendered or built text: reports show span
	file             string
	source           string // the file whose line the text report quotes
	span             span
	fixable          bool
	// What tells a chart's finding from an overlay's: a chart names the values key behind a
	// finding, an overlay the overlays that build it.
	chart    *chartPlace
	values   *valuesPlace
	overlays []string // as walked
}

// placedFindings are the findings of one chart or overlay.
type placedFindings struct {
	findings   []placedFinding
	suppressed []placedFinding
	objects    int
	// inRenderOrder lists the findings in the order they came (a chart's: its render's)
	// unless suppressed ones join them; otherwise a report lists them by place.
	inRenderOrder bool
}

// placedFindings returns the findings of a chart or an overlay, nil for a file checked on
// its own.
func (c checked) placedFindings() *placedFindings {
	switch {
	case c.chart != nil:
		return &c.chart.placedFindings
	case c.overlay != nil:
		return &c.overlay.placedFindings
	}
	return nil
}

// shown returns the findings a text report lists: the suppressed ones too when asked.
func (p *placedFindings) shown(withSuppressed bool) []placedFinding {
	var all []placedFinding
	switch {
	case withSuppressed && len(p.suppressed) > 0:
		all = append(slices.Clone(p.findings), p.suppressed...)
	case p.inRenderOrder:
		return p.findings
	default:
		all = slices.Clone(p.findings)
	}
	slices.SortStableFunc(all, func(a, b placedFinding) int {
		return cmp.Or(strings.Compare(a.file, b.file), cmp.Compare(a.span.Line, b.span.Line), cmp.Compare(a.span.Column, b.span.Column))
	})
	return all
}

// all returns the findings that JSON and SARIF list: the reported ones, then the suppressed.
func (p *placedFindings) all() []placedFinding {
	return append(slices.Clone(p.findings), p.suppressed...)
}

// note is what a text report adds to the message: the values key behind a chart's finding,
// the overlays that build an overlay's. SARIF links the values key as a related location
// instead (sarifRelated).
func (f *placedFinding) note() string {
	if f.values != nil {
		return f.values.note()
	}
	return overlayNote(f.overlays)
}

// json is the finding as the JSON report has it: a file's fields, then the chart's or the
// overlay's.
func (f *placedFinding) json() jsonFinding {
	j := jsonFindingOf(&f.Finding, f.file, f.span, f.fixable)
	j.Chart, j.Values, j.Overlay, j.Overlays = f.chart, f.values, first(f.overlays), f.overlays
	return j
}

// sarif is the finding as the SARIF report has it: the overlays in the message, as in text;
// the values key as a related location.
func (f *placedFinding) sarif(index map[string]int) sarifResult {
	res := sarifResultOf(&f.Finding, index, f.Message+overlayNote(f.overlays), filepath.ToSlash(f.file), f.span)
	res.Related = f.sarifRelated()
	return res
}

// fileLines reads the lines of the files a text report quotes, each file once.
type fileLines map[string][]string

func (fl fileLines) line(file string, n int) (string, bool) {
	ls, seen := fl[file]
	if !seen {
		if data, err := os.ReadFile(file); err == nil {
			ls = strings.Split(string(data), "\n")
		}
		fl[file] = ls
	}
	if n < 1 || n > len(ls) {
		return "", false
	}
	return strings.ReplaceAll(strings.TrimRight(ls[n-1], "\r"), "\t", " "), true
}
