package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/helm"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/workspace"
)

// A Helm chart is checked through its rendered manifests (SPEC.md section 2): each finding
// is reported at the template line that wrote the field, with the values key behind it.

// listFlag is a repeatable flag (--values, --set).
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// chartChecked is the outcome of rendering and checking one chart.
type chartChecked struct {
	placedFindings
	root string // absolute
	// rendered and placed are the render and its reported findings, for --fix.
	rendered *helm.Chart
	placed   []helm.Finding
	opts     checkOptions
	render   helm.Options     // what rendered it, to verify template fixes on a new render
	engine   *analysis.Engine // what checked it
}

// chartPlace says where in a chart a finding is, as the JSON report has it: the finding's
// file, line and column are the template's; rendered is the rendered template and the
// finding's line in it.
type chartPlace struct {
	Root     string        `json:"root"`
	Template string        `json:"template"`
	Via      []string      `json:"via"`
	Rendered *renderedLine `json:"rendered,omitempty"` // nil for a chart that does not render
}

// renderedLine is a finding's rendered template (chart-relative) and its line there.
type renderedLine struct {
	File string `json:"file"`
	Line int    `json:"line"`
}

// valuesPlace is the values key behind a finding.
type valuesPlace struct {
	File   string `json:"file,omitempty"` // "" for a --set pair
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
	Path   string `json:"path"`
	Guard  bool   `json:"guard,omitempty"` // the key guards the block that would write the field
}

// chartOptions are the render options of a chart: its configuration's helm: keys, then the
// command line's --values and --set.
func chartOptions(cfg analysis.Config, opts checkOptions) helm.Options {
	o := helm.ConfigOptions(cfg)
	for _, v := range opts.values {
		o.ValuesFiles = append(o.ValuesFiles, absPath(v))
	}
	o.Set = append(o.Set, opts.set...)
	return o
}

func absPath(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

// checkChart renders the chart of src and checks its manifests.
func checkChart(ctx context.Context, src source, ws *workspace.Workspace, opts checkOptions) checked {
	c := checked{src: src}
	v, err := ws.File(ctx, filepath.Join(src.chart, workspace.ChartFile))
	if err == nil && v.Err != nil {
		err = v.Err
	}
	switch {
	case err != nil:
		c.err = err
		return c
	case v.Excluded && !src.named:
		c.excluded = true
		return c
	}
	cc := &chartChecked{
		placedFindings: placedFindings{inRenderOrder: true},
		root:           src.chart, opts: opts, render: chartOptions(v.Engine.Config(), opts), engine: v.Engine,
	}
	c.chart = cc
	rep, err := helm.Analyze(ctx, src.chart, cc.render, v.Engine)
	if err != nil {
		c.err = fmt.Errorf("rendering chart %s: %w", src.path, err)
		return c
	}
	cc.objects, cc.rendered = rep.Objects, rep.Chart
	for _, p := range rep.Findings {
		if pf, ok := chartFindingOf(src, p); ok {
			cc.findings = append(cc.findings, pf)
			if p.Manifest != nil {
				cc.placed = append(cc.placed, p.Finding)
			}
		}
	}
	for _, p := range rep.Suppressed {
		if pf, ok := chartFindingOf(src, p); ok {
			cc.suppressed = append(cc.suppressed, pf)
		}
	}
	return c
}

// displayPath names a chart file as the user named the chart: under the chart's path as
// given; a file outside the chart (a values file) relative to the current directory.
func displayPath(src source, abs string) string {
	if rel, err := filepath.Rel(src.chart, abs); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.Join(src.path, rel)
	}
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, abs); err == nil && !strings.HasPrefix(rel, "..") {
			return rel
		}
	}
	return abs
}

func chartRel(root, abs string) string {
	if rel, err := filepath.Rel(root, abs); err == nil {
		return filepath.ToSlash(rel)
	}
	return abs
}

// chartFindingOf places a chart's finding as the reports print it, with its files named as
// the user named the chart; ok is false when the finding is outside the file the user named.
func chartFindingOf(src source, p helm.Placed) (placedFinding, bool) {
	pf := placedFinding{
		Finding: p.Finding.Finding, file: displayPath(src, p.File), source: p.File,
		span: span(p.Span), fixable: p.Fixable,
		chart: &chartPlace{Root: src.path, Template: chartRel(src.chart, p.File), Via: []string{}},
	}
	if rendered, line := p.Rendered(); rendered != "" {
		pf.chart.Rendered = &renderedLine{chartRel(src.chart, rendered), line}
	}
	for _, loc := range p.At.Via {
		pf.chart.Via = append(pf.chart.Via, fmt.Sprintf("%s:%d", chartRel(src.chart, loc.File), loc.Line))
	}
	if v := p.Values; v != nil {
		pf.values = &valuesPlace{Line: v.Line, Column: v.Column, Path: v.Path, Guard: p.Guard}
		if v.File != "" {
			pf.values.File = displayPath(src, v.File)
		}
	}
	if src.only != "" && p.File != src.only && (p.Values == nil || p.Values.File != src.only) {
		return pf, false
	}
	return pf, true
}

// valuesNote is the values location a text report prints after a finding's message.
func (v *valuesPlace) note() string {
	where := "--set " + v.Path
	if v.File != "" {
		where = fmt.Sprintf("%s:%d:%d %s", v.File, v.Line, v.Column, v.Path)
	}
	if v.Guard {
		return " (values: " + where + ", which leaves out the block that would set it)"
	}
	return " (values: " + where + ")"
}

// sarifRelated links the values key behind a chart's finding, when it is in a values file.
func (f *placedFinding) sarifRelated() []sarifRelated {
	v := f.values
	if v == nil || v.File == "" {
		return nil
	}
	rendered := ""
	if f.chart != nil && f.chart.Rendered != nil {
		rendered = f.chart.Rendered.File
	}
	msg := "values key " + v.Path + " supplies the value (rendered from " + rendered + ")"
	if v.Guard {
		msg = "values key " + v.Path + " leaves out the block that would set the field (" + rendered + ")"
	}
	return []sarifRelated{{ID: 1, Message: sarifText{Text: msg}, Physical: sarifPhysical{
		Artifact: sarifArtifact{URI: filepath.ToSlash(v.File)},
		Region:   sarifRegion{v.Line, v.Column, v.Line, v.Column + len(lastKey(v.Path))},
	}}}
}

// lastKey is the last key of a values path, as written in the values file.
func lastKey(path string) string {
	if i := strings.LastIndexAny(path, ".]"); i >= 0 {
		return path[i+1:]
	}
	return path
}
