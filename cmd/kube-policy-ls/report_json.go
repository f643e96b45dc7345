package main

import (
	"bufio"
	"bytes"
	"encoding/json"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"
	"github.com/kube-policy-ls/kube-policy-ls/internal/parallel"
)

// jsonFinding is one finding of --format json (SPEC.md section 3).
type jsonFinding struct {
	Rule       string                `json:"rule"`
	Severity   analysis.Severity     `json:"severity"`
	Message    string                `json:"message"`
	File       string                `json:"file"`
	Line       int                   `json:"line"`
	Column     int                   `json:"column"`
	EndLine    int                   `json:"endLine"`
	EndColumn  int                   `json:"endColumn"`
	Object     yamldoc.ObjectRef     `json:"object"`
	Path       []any                 `json:"path,omitempty"`
	Fixable    bool                  `json:"fixable"`
	Suppressed *analysis.Suppression `json:"suppressed,omitempty"`
	Chart      *chartPlace           `json:"chart,omitempty"`    // a finding of a rendered chart
	Values     *valuesPlace          `json:"values,omitempty"`   // the values key behind it
	Overlay    string                `json:"overlay,omitempty"`  // the first Kustomize overlay that builds it
	Overlays   []string              `json:"overlays,omitempty"` // every overlay that builds it
}

type jsonSummary struct {
	Files      int `json:"files"`
	Objects    int `json:"objects"`
	Findings   int `json:"findings"`
	Suppressed int `json:"suppressed"`
}

// Indentation of the report, two spaces a level: a finding is at the third level.
const (
	jsonIndent        = "  "
	jsonFindingPrefix = jsonIndent + jsonIndent
)

// json writes {"findings": [...], "summary": {...}}, indented as json.Encoder would. Each
// file's findings are encoded on their own, on every core: over a large checkout, encoding
// megabytes of findings on one core after the checking was done took a tenth of the run.
func (r report) json() error {
	t := tallyOf(r.results)
	sum := jsonSummary{Files: t.files, Objects: t.objects, Findings: t.findings, Suppressed: t.suppressed}
	chunks := make([][]byte, len(r.results))
	errs := make([]error, len(r.results))
	parallel.Each(len(r.results), func(i int) { chunks[i], errs[i] = r.jsonFindings(r.results[i]) })
	w := bufio.NewWriterSize(r.stdout, 64<<10)
	w.WriteString("{\n" + jsonIndent + `"findings": [`)
	first := true
	for i, chunk := range chunks {
		if errs[i] != nil {
			return errs[i]
		}
		if len(chunk) == 0 {
			continue
		}
		if !first {
			w.WriteByte(',')
		}
		first = false
		w.Write(chunk)
	}
	if !first {
		w.WriteString("\n" + jsonIndent)
	}
	summary, err := json.MarshalIndent(sum, jsonIndent, jsonIndent)
	if err != nil {
		return err
	}
	w.WriteString("],\n" + jsonIndent + `"summary": `)
	w.Write(summary)
	w.WriteString("\n}\n")
	return w.Flush()
}

// jsonFindings encodes one file's (chart's, overlay's) findings as elements of the findings
// array, the suppressed ones too.
func (r report) jsonFindings(c checked) ([]byte, error) {
	if p := c.placedFindings(); p != nil {
		all := p.all()
		fs := make([]jsonFinding, 0, len(all))
		for i := range all {
			fs = append(fs, all[i].json())
		}
		return encodeJSONFindings(fs)
	}
	if c.result == nil {
		return nil, nil
	}
	shown := r.shown(c.result, true)
	fs := make([]jsonFinding, 0, len(shown))
	for _, f := range shown {
		j := jsonFindingOf(&f, c.src.path, spanOf(c.result.Mapper, f.Range), f.Fixable())
		j.Overlay, j.Overlays = first(c.overlaysOf(f)), c.overlaysOf(f)
		fs = append(fs, j)
	}
	return encodeJSONFindings(fs)
}

// jsonFindingOf is a finding of the JSON report at sp in file, without what only a chart's
// or an overlay's has.
func jsonFindingOf(f *analysis.Finding, file string, sp span, fixable bool) jsonFinding {
	return jsonFinding{
		Rule: f.Rule, Severity: f.Severity, Message: f.Message, File: file,
		Line: sp.Line, Column: sp.Column, EndLine: sp.EndLine, EndColumn: sp.EndColumn,
		Object: f.Object, Path: append(append([]any{}, f.Item...), f.Path...), Fixable: fixable,
		Suppressed: f.Suppressed,
	}
}

// encodeJSONFindings encodes findings as elements of the findings array, each on a new line
// at the third level and separated by commas, without a comma after the last.
func encodeJSONFindings(fs []jsonFinding) ([]byte, error) {
	var buf bytes.Buffer
	for i := range fs {
		b, err := json.MarshalIndent(&fs[i], jsonFindingPrefix, jsonIndent)
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
