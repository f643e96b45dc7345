package lsp

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/helm"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/workspace"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"
)

// A Helm chart is an assembly (assembly.go): every file under the chart's root (ChartRoot:
// templates, helpers, values.yaml, Chart.yaml, the subcharts under charts/) is a member.
// The chart is rendered with the configuration's helm: options and the editor's unsaved
// text, its manifests checked, and each finding published on the template line that wrote
// it (analysis/helm places it) and on the values key that supplied it, the two linked by
// relatedInformation. A chart that does not render gets one helm-render diagnostic at the
// file and line Helm names.

// chartAssembler is the Helm chart kind of assembly.
type chartAssembler struct{}

func (chartAssembler) rootsOf(s *Server, path string) []string {
	root := s.ws.RootsOf(path).Chart
	if root == "" {
		// A workspace folder inside the chart (Neovim roots a file with no .git or
		// .kube-policy.yaml above it in its own directory): the chart still renders as a whole.
		root = workspace.ChartRoot(path, "")
	}
	if root == "" {
		return nil
	}
	return []string{root}
}

func (chartAssembler) shared() bool { return false }

func (chartAssembler) check(ctx context.Context, s *Server, root string, reads *memberReads, prev assemblyOutcome) (assemblyOutcome, error) {
	s.mu.Lock()
	sev, docs := s.settings.editor.severities(), s.settings.editor.docs()
	s.mu.Unlock()
	out := &chartOutcome{root: root, reads: reads, sev: sev, docs: docs}
	v, err := s.ws.File(ctx, filepath.Join(root, workspace.ChartFile))
	if err != nil {
		return nil, err
	}
	if v.Engine == nil || v.Excluded {
		return out, nil
	}
	opts := helm.ConfigOptions(v.Engine.Config())
	opts.Read = reads.ReadFile
	opts.Unsaved = reads.openPaths()
	var before *helm.Report
	if p, ok := prev.(*chartOutcome); ok {
		before = p.report
	}
	rep, err := helm.AnalyzeAgain(ctx, root, opts, v.Engine, before)
	if err != nil {
		return nil, err
	}
	out.report, out.engine = rep, v.Engine
	return out, nil
}

// chartOutcome is a chart rendered, checked and placed, with the texts it was rendered from.
type chartOutcome struct {
	root   string
	reads  *memberReads
	report *helm.Report     // nil when the chart is excluded or has no engine
	engine *analysis.Engine // that checked it
	sev    severityMap
	docs   string

	// the edits of the chart's fix-all, computed when first asked (editors ask for code
	// actions at every cursor move)
	fixAllOnce sync.Once
	fixAll     []fileEdits

	// the diagnostics of every file, by encoding, made when first asked: the publication, each
	// pull of an open chart file and each workspace pull (every 2 s in VS Code) ask for them
	diagsMu sync.Mutex
	diags   map[yamldoc.Encoding]map[string][]protocol.Diagnostic
}

// mapper returns a Mapper over a file's text as the check read it.
func (o *chartOutcome) mapper(path string) (*yamldoc.Mapper, *int32) { return o.reads.mapper(path) }

// rel names a chart file as the chart's users do: relative to the chart's root.
func (o *chartOutcome) rel(path string) string {
	if r, err := filepath.Rel(o.root, path); err == nil && !strings.HasPrefix(r, "..") {
		return filepath.ToSlash(r)
	}
	return path
}

// chartKey identifies a chart finding across renders: its rule, the file and line it is
// placed on and what it reports in the rendered template.
func chartKey(p *helm.Placed) string {
	rendered, _ := p.Rendered()
	b, _ := json.Marshal([]any{p.Rule, p.File, rendered, p.Doc, p.Item, p.Path, p.Span.Line})
	return string(b)
}

// spanOffsets converts a chart span (1-based, code points) to byte offsets of m's text; a
// position past a line's end is the line's end.
func spanOffsets(m *yamldoc.Mapper, sp helm.Span) yamldoc.Range {
	return yamldoc.Range{Start: offsetAt(m, sp.Line, sp.Column), End: offsetAt(m, sp.EndLine, sp.EndColumn)}
}

func offsetAt(m *yamldoc.Mapper, line, col int) int {
	switch {
	case line < 1:
		return 0
	case line > m.LineCount():
		return len(m.Text())
	}
	off, err := m.Offset(yamldoc.Pos{Line: line - 1, Col: max(col-1, 0)}, yamldoc.CodePoints)
	if err != nil {
		return m.LineEnd(line - 1)
	}
	return min(off, m.LineEnd(line-1))
}

// valuesSpan is the span of the key of a values reference.
func valuesSpan(v *helm.ValuesRef) helm.Span {
	key := v.Path
	if i := strings.LastIndexAny(key, ".]"); i >= 0 {
		key = key[i+1:]
	}
	return helm.Span{Line: v.Line, Column: v.Column, EndLine: v.Line, EndColumn: v.Column + max(len([]rune(key)), 1)}
}

// location is an LSP location of a chart span.
func (o *chartOutcome) location(file string, sp helm.Span, enc yamldoc.Encoding) protocol.Location {
	m, _ := o.mapper(file)
	return protocol.Location{URI: uri.File(file), Range: toRange(m, spanOffsets(m, sp), enc)}
}

// valuesNote says what a values key did to a finding.
func valuesNote(p *helm.Placed) string {
	if p.Guard {
		return "values key " + p.Values.Path + " leaves out the block that would set the field"
	}
	return "values key " + p.Values.Path + " supplies the value"
}

// diagnostics places every finding on its template line and, when a values file supplied
// the value, on its values key. The result is shared: callers do not change it.
func (o *chartOutcome) diagnostics(enc yamldoc.Encoding) map[string][]protocol.Diagnostic {
	o.diagsMu.Lock()
	defer o.diagsMu.Unlock()
	if d, ok := o.diags[enc]; ok {
		return d
	}
	if o.diags == nil {
		o.diags = map[yamldoc.Encoding]map[string][]protocol.Diagnostic{}
	}
	o.diags[enc] = o.makeDiagnostics(enc)
	return o.diags[enc]
}

func (o *chartOutcome) makeDiagnostics(enc yamldoc.Encoding) map[string][]protocol.Diagnostic {
	out := map[string][]protocol.Diagnostic{}
	if o.report == nil {
		return out
	}
	seen := map[string]bool{}
	add := func(file string, d protocol.Diagnostic) {
		k, _ := json.Marshal([]any{file, d.Range, d.Code, d.Message})
		if !seen[string(k)] {
			seen[string(k)] = true
			out[file] = append(out[file], d)
		}
	}
	for i := range o.report.Findings {
		p := &o.report.Findings[i]
		at := o.location(p.File, p.Span, enc)
		d := o.diagnostic(p, at.Range, p.Message)
		if v := p.Values; v != nil && v.File != "" {
			vat := o.location(v.File, valuesSpan(v), enc)
			d.RelatedInformation = append(d.RelatedInformation, protocol.DiagnosticRelatedInformation{Location: vat, Message: valuesNote(p)})
			vd := o.diagnostic(p, vat.Range, fmt.Sprintf("%s (rendered into %s:%d)", p.Message, o.rel(p.File), p.Span.Line))
			vd.RelatedInformation = []protocol.DiagnosticRelatedInformation{{Location: at, Message: "rendered here; " + valuesNote(p)}}
			add(v.File, vd)
		}
		for _, via := range p.At.Via {
			d.RelatedInformation = append(d.RelatedInformation, protocol.DiagnosticRelatedInformation{
				Location: o.location(via.File, helm.Span{Line: via.Line, Column: via.Column, EndLine: via.Line, EndColumn: via.Column + 1}, enc),
				Message:  "through the call at " + o.rel(via.File) + ":" + fmt.Sprint(via.Line),
			})
		}
		add(p.File, d)
	}
	for file, ds := range out {
		slices.SortStableFunc(ds, func(a, b protocol.Diagnostic) int {
			return cmp.Or(cmp.Compare(a.Range.Start.Line, b.Range.Start.Line), cmp.Compare(a.Range.Start.Character, b.Range.Start.Character))
		})
		out[file] = ds[:min(len(ds), maxChartDiagnostics)]
	}
	return out
}

// maxChartDiagnostics bounds the diagnostics of one chart file: a template that renders
// thousands of objects (a range over a long list) puts all their findings on its few lines.
const maxChartDiagnostics = 1000

func (o *chartOutcome) diagnostic(p *helm.Placed, r protocol.Range, msg string) protocol.Diagnostic {
	return ruleDiagnostic(r, &p.Finding.Finding, msg, diagnosticData{Rule: p.Rule, Key: chartKey(p), Fixable: p.Fixable}, o.sev, o.docs)
}

// at returns the findings placed at an offset range of file: on their template span, or on
// their values key.
func (o *chartOutcome) at(file string, start, end int) []*helm.Placed {
	if o.report == nil {
		return nil
	}
	m, _ := o.mapper(file)
	var out []*helm.Placed
	for i := range o.report.Findings {
		p := &o.report.Findings[i]
		var r yamldoc.Range
		switch {
		case p.File == file:
			r = spanOffsets(m, p.Span)
		case p.Values != nil && p.Values.File == file:
			r = spanOffsets(m, valuesSpan(p.Values))
		default:
			continue
		}
		if r.Start <= end && start <= r.End {
			out = append(out, p)
		}
	}
	return out
}

// byKey returns the finding with a chartKey.
func (o *chartOutcome) byKey(key string) *helm.Placed {
	if o.report == nil {
		return nil
	}
	for i := range o.report.Findings {
		if chartKey(&o.report.Findings[i]) == key {
			return &o.report.Findings[i]
		}
	}
	return nil
}
