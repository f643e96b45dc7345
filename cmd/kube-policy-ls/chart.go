package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
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
}

// chartFinding is a finding placed on a chart, with the paths as the user named them.
type chartFinding struct {
	analysis.Finding
	file     string // the template (or values file, Chart.yaml) the finding is placed in
	sp       span
	template string   // chart-relative path of that file
	via      []string // chart-relative call sites, outermost first
	rendered string   // chart-relative path of the rendered template; "" for a render error
	line     int      // the finding's line in the rendered template
	values   *valuesPlace
	fixable  bool // a fix in the values applies (chart_fix.go)
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
	h := cfg.Helm
	o := helm.Options{ReleaseName: h.ReleaseName, Namespace: h.Namespace, KubeVersion: h.KubeVersion, APIVersions: h.APIVersions}
	for _, v := range h.Values {
		if !filepath.IsAbs(v) && cfg.BaseDir != "" {
			v = filepath.Join(cfg.BaseDir, v)
		}
		o.ValuesFiles = append(o.ValuesFiles, absPath(v))
	}
	for _, v := range opts.values {
		o.ValuesFiles = append(o.ValuesFiles, absPath(v))
	}
	o.Set = append(append(o.Set, h.Set...), opts.set...)
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
	cc := &chartChecked{root: src.chart, opts: opts}
	c.chart = cc
	rendered, err := helm.Render(ctx, src.chart, chartOptions(v.Engine.Config(), opts))
	var rerr *helm.Error
	switch {
	case errors.As(err, &rerr):
		cc.findings = []chartFinding{renderFinding(src, rerr, v.Engine)}
		return c
	case err != nil:
		c.err = fmt.Errorf("rendering chart %s: %w", src.path, err)
		return c
	}
	res, err := rendered.Check(ctx, v.Engine)
	if err != nil {
		c.err = err
		return c
	}
	cc.objects, cc.rendered = res.Objects, rendered
	for _, f := range res.Findings {
		if pf, ok := placeChartFinding(src, rendered, f); ok {
			pf.fixable = rendered.ValuesFixes(f) != nil
			cc.findings = append(cc.findings, pf)
			cc.placed = append(cc.placed, f)
		}
	}
	for _, f := range res.Suppressed {
		if pf, ok := placeChartFinding(src, rendered, f); ok {
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

// placeChartFinding turns a placed finding into what the reports print; ok is false when
// the finding is outside the file the user named.
func placeChartFinding(src source, c *helm.Chart, f helm.Finding) (chartFinding, bool) {
	at := f.At
	if at.File == "" { // no source map entry: the rendered template's first line
		at.Location = helm.Location{File: f.Manifest.Template, Line: 1, Column: 1}
	}
	pf := chartFinding{
		Finding: f.Finding, file: displayPath(src, at.File), template: chartRel(src.chart, at.File),
		rendered: chartRel(src.chart, f.Manifest.Template), line: f.RenderedLine,
		sp: span{Line: at.Line, Column: at.Column, EndLine: at.Line, EndColumn: at.Column + 1},
	}
	if end, ok := c.Origin(f.Manifest, max(f.Range.End-1, f.Range.Start)); ok && end.File == at.File && end.Line == at.Line && end.Column >= at.Column {
		pf.sp.EndColumn = end.Column + 1
	}
	for _, loc := range at.Via {
		pf.via = append(pf.via, fmt.Sprintf("%s:%d", chartRel(src.chart, loc.File), loc.Line))
	}
	if f.Values != nil {
		pf.values = &valuesPlace{Line: f.Values.Line, Column: f.Values.Column, Path: f.Values.Path, Guard: f.Guard}
		if f.Values.File != "" {
			pf.values.File = displayPath(src, f.Values.File)
		}
	}
	if src.only != "" && at.File != src.only && (f.Values == nil || f.Values.File != src.only) {
		return pf, false
	}
	return pf, true
}

// renderFinding reports a chart that does not render at the file and line Helm names.
func renderFinding(src source, err *helm.Error, e *analysis.Engine) chartFinding {
	line, col := max(err.Line, 1), max(err.Column, 1)
	msg := err.Msg
	if err.Err != nil {
		msg += ": " + err.Err.Error()
	}
	return chartFinding{
		Finding: analysis.Finding{Rule: analysis.RuleHelmRender, Severity: e.Severity(analysis.RuleHelmRender), Message: "chart does not render: " + msg},
		file:    displayPath(src, err.File), template: chartRel(src.chart, err.File),
		sp: span{Line: line, Column: col, EndLine: line, EndColumn: col + 1},
	}
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
		return cmp.Or(strings.Compare(a.file, b.file), cmp.Compare(a.sp.Line, b.sp.Line), cmp.Compare(a.sp.Column, b.sp.Column))
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
		paint("\x1b[1m", fmt.Sprintf("%s:%d:%d", f.file, f.sp.Line, f.sp.Column)),
		paint(severityColor[f.Severity], f.Severity.String()), paint("\x1b[2m", f.Rule), msg)
	line, ok := lines.line(f.file, f.sp.Line)
	if !ok || len(line) > 300 {
		return
	}
	fmt.Fprintf(r.stdout, "  %s\n  %s%s\n", line, strings.Repeat(" ", max(f.sp.Column-1, 0)),
		paint(severityColor[f.Severity], "^"+strings.Repeat("~", max(f.sp.EndColumn-f.sp.Column-1, 0))))
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

// jsonChartFindings encodes a chart's findings (suppressed ones marked) as elements of the
// findings array, as jsonFindings does a file's.
func jsonChartFindings(c checked) ([]byte, error) {
	var buf bytes.Buffer
	all := append(append([]chartFinding{}, c.chart.findings...), c.chart.suppressed...)
	for i, f := range all {
		jc := &jsonChart{Root: c.src.path, Template: f.template, Via: f.via}
		if jc.Via == nil {
			jc.Via = []string{}
		}
		if f.rendered != "" {
			jc.Rendered = &struct {
				File string `json:"file"`
				Line int    `json:"line"`
			}{f.rendered, f.line}
		}
		b, err := json.MarshalIndent(jsonFinding{
			Rule: f.Rule, Severity: f.Severity, Message: f.Message, File: f.file,
			Line: f.sp.Line, Column: f.sp.Column, EndLine: f.sp.EndLine, EndColumn: f.sp.EndColumn,
			Object: f.Object, Path: append(append([]any{}, f.Item...), f.Path...), Fixable: f.fixable,
			Suppressed: f.Suppressed, Chart: jc, Values: f.values,
		}, jsonFindingPrefix, jsonIndent)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString("\n" + jsonFindingPrefix)
		buf.Write(b)
	}
	return buf.Bytes(), nil
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
				Region:   sarifRegion{f.sp.Line, f.sp.Column, f.sp.EndLine, f.sp.EndColumn},
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
