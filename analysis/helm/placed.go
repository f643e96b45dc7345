package helm

import (
	"context"
	"errors"
	"path/filepath"
	"unicode/utf8"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
)

// Span is a range on a chart file: 1-based lines and columns, columns counting code points,
// EndColumn just past the last character.
type Span struct {
	Line, Column, EndLine, EndColumn int
}

// Placed is a finding located in one chart file, as the CLI reports it and the editor
// publishes it: the template line that wrote the field (or its owner), or, for a chart that
// does not render, the file and line Helm names (Manifest is then nil).
type Placed struct {
	Finding
	File    string // absolute: the template, helper, values file or Chart.yaml
	Span    Span
	Fixable bool // reported, and a fix in the values files or the template applies (Chart.ValuesFixes, Chart.TemplateFixes)
}

// Report is a chart rendered, checked and placed.
type Report struct {
	Chart      *Chart   // nil when the chart does not render
	Findings   []Placed // a chart that does not render has one, of rule helm-render
	Suppressed []Placed
	Objects    int
	checked    *Checked // for the next render's CheckAgain
	fixEdits   fixEditCache
}

// Analyze renders the chart in root, checks the manifests with the engine and places every
// finding. A chart that does not render is a report with its render error as a finding; the
// error is for a cancelled context or an engine failure.
func Analyze(ctx context.Context, root string, opts Options, e *analysis.Engine) (*Report, error) {
	return AnalyzeAgain(ctx, root, opts, e, nil)
}

// AnalyzeAgain is Analyze after an earlier report on the chart (prev, nil for none): the
// rendered documents that did not change are not checked again (CheckAgain).
func AnalyzeAgain(ctx context.Context, root string, opts Options, e *analysis.Engine, prev *Report) (*Report, error) {
	c, err := Render(ctx, root, opts)
	var rerr *Error
	switch {
	case errors.As(err, &rerr):
		if cerr := ctx.Err(); cerr != nil {
			return nil, cerr
		}
		rep := &Report{Findings: []Placed{PlaceError(rerr, e.Severity(analysis.RuleHelmRender))}}
		if prev != nil {
			rep.checked, rep.fixEdits = prev.checked, prev.fixEdits // for the render that follows the fix
		}
		return rep, nil
	case err != nil:
		return nil, err
	}
	var before *Checked
	if prev != nil {
		before = prev.checked
	}
	res, err := c.CheckAgain(ctx, e, before)
	if err != nil {
		return nil, err
	}
	rep := &Report{Chart: c, Objects: res.Objects, checked: res, fixEdits: fixEditCache{}}
	var earlier fixEditCache
	if prev != nil {
		earlier = prev.fixEdits
	}
	for _, f := range res.Findings {
		p := c.Place(f)
		p.Fixable = c.ValuesFixes(f) != nil || c.templateFix(f, earlier, rep.fixEdits) != nil
		rep.Findings = append(rep.Findings, p)
	}
	for _, f := range res.Suppressed {
		rep.Suppressed = append(rep.Suppressed, c.Place(f))
	}
	if on := e.Config().Rules[analysis.RuleHelmValuesKey].Enabled; on == nil || *on {
		for _, k := range c.values.misread {
			rep.Findings = append(rep.Findings, Placed{
				Finding: Finding{Finding: analysis.Finding{Rule: analysis.RuleHelmValuesKey, Severity: e.Severity(analysis.RuleHelmValuesKey), Message: k.message()}},
				File:    k.file,
				Span:    Span{Line: k.line, Column: k.col, EndLine: k.line, EndColumn: k.col + utf8.RuneCountInString(k.key)},
			})
		}
	}
	return rep, nil
}

// Place locates a finding on the template line that wrote it. The span ends where the
// byte at the end of the finding's range was written, when that is on the same line (past
// the whole action when an action wrote it: `privileged: {{ .Values.p }}`, not
// `privileged: {{ .`); a finding with no source map entry goes on the first line of its
// rendered template.
func (c *Chart) Place(f Finding) Placed {
	at := f.At
	if at.File == "" {
		at.Location = Location{File: f.Manifest.Template, Line: 1, Column: 1}
	}
	p := Placed{Finding: f, File: at.File, Span: Span{Line: at.Line, Column: at.Column, EndLine: at.Line, EndColumn: at.Column + 1}}
	if end, ok := c.Origin(f.Manifest, max(f.Range.End-1, f.Range.Start)); ok && end.File == at.File && end.Line == at.Line && end.Column >= at.Column {
		p.Span.EndColumn = end.Column + 1
		if !end.Literal {
			p.Span.EndColumn = c.actionEnd(end.Location)
		}
	}
	return p
}

// PlaceError is the finding of a chart that does not render, at the file and line Helm
// names (the file's first line when it names none).
func PlaceError(err *Error, severity analysis.Severity) Placed {
	line, col := max(err.Line, 1), max(err.Column, 1)
	msg := err.Msg
	if err.Err != nil {
		msg += ": " + err.Err.Error()
	}
	return Placed{
		Finding: Finding{Finding: analysis.Finding{Rule: analysis.RuleHelmRender, Severity: severity, Message: "chart does not render: " + msg}},
		File:    err.File,
		Span:    Span{Line: line, Column: col, EndLine: line, EndColumn: col + 1},
	}
}

// Rendered returns the rendered template of a finding and its line there; "" for a render
// error.
func (p *Placed) Rendered() (file string, line int) {
	if p.Manifest == nil {
		return "", 0
	}
	return p.Manifest.Template, p.RenderedLine
}

// ConfigOptions are the render options a configuration's helm: section gives: relative
// values files are taken from its BaseDir, as the CLI and the editor both do.
func ConfigOptions(cfg analysis.Config) Options {
	h := cfg.Helm
	o := Options{ReleaseName: h.ReleaseName, Namespace: h.Namespace, KubeVersion: h.KubeVersion, APIVersions: h.APIVersions, Set: append([]string(nil), h.Set...)}
	for _, v := range h.Values {
		if !filepath.IsAbs(v) && cfg.BaseDir != "" {
			v = filepath.Join(cfg.BaseDir, v)
		}
		if abs, err := filepath.Abs(v); err == nil {
			v = abs
		}
		o.ValuesFiles = append(o.ValuesFiles, v)
	}
	return o
}
