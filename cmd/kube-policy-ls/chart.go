package main

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
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
	root       string // absolute
	findings   []chartFinding
	suppressed []chartFinding
	objects    int
	// rendered and placed are the render and its reported findings, for --fix.
	rendered *helm.Chart
	placed   []helm.Finding
	opts     checkOptions
	render   helm.Options     // what rendered it, to verify template fixes on a new render
	engine   *analysis.Engine // what checked it
}

// chartFinding is a finding placed on a chart (helm.Placed), with the paths as the user
// named them.
type chartFinding struct {
	helm.Placed
	file     string // the template (or values file, Chart.yaml) the finding is placed in
	template string // chart-relative path of that file
	via      []string
	rendered string // chart-relative path of the rendered template; "" for a render error
	values   *valuesPlace
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
	cc := &chartChecked{root: src.chart, opts: opts, render: chartOptions(v.Engine.Config(), opts), engine: v.Engine}
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

// chartFindingOf names a placed finding's files as the reports print them; ok is false when
// the finding is outside the file the user named.
func chartFindingOf(src source, p helm.Placed) (chartFinding, bool) {
	pf := chartFinding{Placed: p, file: displayPath(src, p.File), template: chartRel(src.chart, p.File)}
	if rendered, _ := p.Rendered(); rendered != "" {
		pf.rendered = chartRel(src.chart, rendered)
	}
	for _, loc := range p.At.Via {
		pf.via = append(pf.via, fmt.Sprintf("%s:%d", chartRel(src.chart, loc.File), loc.Line))
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

// shownChart returns the chart findings a text report lists: the suppressed ones too when
// asked, in position order.
func (r report) shownChart(c *chartChecked) []chartFinding {
	if !r.showSuppressed || len(c.suppressed) == 0 {
		return c.findings
	}
	all := append(append([]chartFinding{}, c.findings...), c.suppressed...)
	slices.SortStableFunc(all, func(a, b chartFinding) int {
		return cmp.Or(strings.Compare(a.file, b.file), cmp.Compare(a.Span.Line, b.Span.Line), cmp.Compare(a.Span.Column, b.Span.Column))
	})
	return all
}

// textChartFinding prints a chart finding as text does a file's: at the template line, the
// values key after the message, then the template line with a caret.
func (r report) textChartFinding(f chartFinding, lines fileLines, paint func(code, s string) string) {
	msg := f.Message
	if f.values != nil {
		msg += f.values.note()
	}
	if f.Suppressed != nil {
		msg += fmt.Sprintf(" [suppressed by %s: %s]", f.Suppressed.By, f.Suppressed.Reason)
	}
	fmt.Fprintf(r.stdout, "%s: %s %s: %s\n",
		paint("\x1b[1m", fmt.Sprintf("%s:%d:%d", f.file, f.Span.Line, f.Span.Column)),
		paint(severityColor[f.Severity], f.Severity.String()), paint("\x1b[2m", f.Rule), msg)
	line, ok := lines.line(f.file, f.Span.Line)
	if !ok || len(line) > 300 {
		return
	}
	fmt.Fprintf(r.stdout, "  %s\n  %s%s\n", line, strings.Repeat(" ", max(f.Span.Column-1, 0)),
		paint(severityColor[f.Severity], "^"+strings.Repeat("~", max(f.Span.EndColumn-f.Span.Column-1, 0))))
}

// fileLines reads the lines of the chart files a text report quotes, each file once.
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

// jsonChartFindings are a chart's findings (suppressed ones marked) as the JSON report has
// them: a file's fields at the template location, and where in the chart they are.
func jsonChartFindings(c checked) []jsonFinding {
	var out []jsonFinding
	all := append(append([]chartFinding{}, c.chart.findings...), c.chart.suppressed...)
	for _, f := range all {
		jc := &jsonChart{Root: c.src.path, Template: f.template, Via: f.via}
		if jc.Via == nil {
			jc.Via = []string{}
		}
		if f.rendered != "" {
			jc.Rendered = &struct {
				File string `json:"file"`
				Line int    `json:"line"`
			}{f.rendered, f.RenderedLine}
		}
		out = append(out, jsonFinding{
			Rule: f.Rule, Severity: f.Severity, Message: f.Message, File: f.file,
			Line: f.Span.Line, Column: f.Span.Column, EndLine: f.Span.EndLine, EndColumn: f.Span.EndColumn,
			Object: f.Object, Path: append(append([]any{}, f.Item...), f.Path...), Fixable: f.Fixable,
			Suppressed: f.Suppressed, Chart: jc, Values: f.values,
		})
	}
	return out
}

// sarifChartResults are a chart's findings at their template lines, each with its values key
// as a related location.
func sarifChartResults(c *chartChecked, index map[string]int) []sarifResult {
	var out []sarifResult
	all := append(append([]chartFinding{}, c.findings...), c.suppressed...)
	for _, f := range all {
		res := sarifResult{
			RuleID: f.Rule, RuleIndex: index[f.Rule], Level: sarifLevelOf(f.Severity),
			Message: sarifText{Text: f.Message},
			Locations: []sarifLocation{{Physical: sarifPhysical{
				Artifact: sarifArtifact{URI: filepath.ToSlash(f.file)},
				Region:   sarifRegion{f.Span.Line, f.Span.Column, f.Span.EndLine, f.Span.EndColumn},
			}}},
		}
		if f.Suppressed != nil {
			res.Suppressions = []sarifSuppression{{Kind: "inSource", Justification: f.Suppressed.By + ": " + f.Suppressed.Reason}}
		}
		if v := f.values; v != nil && v.File != "" {
			msg := "values key " + v.Path + " supplies the value (rendered from " + f.rendered + ")"
			if v.Guard {
				msg = "values key " + v.Path + " leaves out the block that would set the field (" + f.rendered + ")"
			}
			res.Related = []sarifRelated{{ID: 1, Message: sarifText{Text: msg}, Physical: sarifPhysical{
				Artifact: sarifArtifact{URI: filepath.ToSlash(v.File)},
				Region:   sarifRegion{v.Line, v.Column, v.Line, v.Column + len(lastKey(v.Path))},
			}}}
		}
		out = append(out, res)
	}
	return out
}

// lastKey is the last key of a values path, as written in the values file.
func lastKey(path string) string {
	if i := strings.LastIndexAny(path, ".]"); i >= 0 {
		return path[i+1:]
	}
	return path
}
