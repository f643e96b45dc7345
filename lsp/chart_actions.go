package lsp

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/fix"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/helm"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"
)

// Hover and code actions on the files of a chart answer from the chart's latest render
// (assemblyState), without rendering again unless a change is pending.

// renderedContext is how many rendered lines a hover shows on each side of a finding's.
const renderedContext = 3

// maxHoverLine bounds each rendered line a hover quotes.
const maxHoverLine = 160

// memberPathLocked returns the path of an open member of an assembly, "" for another
// document. Called with s.mu held.
func (s *Server) memberPathLocked(u uri.URI) string {
	if d := s.docs[u]; d != nil && d.assembly != nil {
		return d.path
	}
	return ""
}

// chartAt returns the chart outcome of an open chart file, current with its text, and the
// file's path; nil when the document is not a chart file.
func (s *Server) chartAt(ctx context.Context, u uri.URI) (*chartOutcome, string, error) {
	s.mu.Lock()
	path := s.memberPathLocked(u)
	s.mu.Unlock()
	if path == "" {
		return nil, "", nil
	}
	out, _, err := s.assemblyState(ctx, path)
	o, _ := out.(*chartOutcome)
	if err != nil || o == nil || o.report == nil || o.engine == nil {
		return nil, "", err
	}
	return o, path, nil
}

// chartHover explains the findings at a position of a chart file: on a template line, the
// rule and the rendered YAML it produced; on a values key, where it was rendered into.
func (s *Server) chartHover(o *chartOutcome, path string, p *protocol.HoverParams, markdown bool, docs string) (*protocol.Hover, error) {
	enc := s.encoding()
	m, _ := o.mapper(path)
	off, err := offsetOf(m, p.Position, enc)
	if err != nil {
		return nil, nil
	}
	found := o.at(path, off, off)
	if len(found) == 0 {
		return nil, nil
	}
	var parts, seen []string
	for _, f := range found {
		if slices.Contains(seen, f.Rule+f.File+fmt.Sprint(f.Span.Line)) {
			continue
		}
		seen = append(seen, f.Rule+f.File+fmt.Sprint(f.Span.Line))
		var b strings.Builder
		if f.File != path { // on the values key
			fmt.Fprintf(&b, "%s: rendered into %s:%d (%s)\n\n", f.Rule, o.rel(f.File), f.Span.Line, valuesNote(f))
		}
		if r, ok := o.engine.Rule(f.Rule); ok {
			b.WriteString(r.Help(analysis.HelpOptions{Markdown: markdown, Severity: o.engine.Severity(f.Rule), Link: true, DocsBase: docs}))
		} else {
			b.WriteString(f.Message)
		}
		if rendered, line := f.Rendered(); rendered != "" {
			b.WriteString("\n\n" + renderedExcerpt(o.rel(rendered), f.Manifest.Text, line, markdown))
		}
		parts = append(parts, b.String())
	}
	kind, sep := protocol.MarkupKindPlainText, "\n\n"
	if markdown {
		kind, sep = protocol.MarkupKindMarkdown, "\n\n---\n\n"
	}
	f := found[0]
	rng := o.location(f.File, f.Span, enc).Range
	if f.File != path {
		rng = o.location(path, valuesSpan(f.Values), enc).Range
	}
	return &protocol.Hover{Contents: &protocol.MarkupContent{Kind: kind, Value: strings.Join(parts, sep)}, Range: &rng}, nil
}

// renderedExcerpt quotes the rendered lines around line (1-based) of a rendered template.
func renderedExcerpt(name, text string, line int, markdown bool) string {
	lines := strings.Split(text, "\n")
	from, to := max(line-1-renderedContext, 0), min(line+renderedContext, len(lines))
	var b strings.Builder
	fmt.Fprintf(&b, "Rendered %s, line %d:\n", name, line)
	if markdown {
		b.WriteString("\n```yaml\n")
	}
	for i := from; i < to; i++ {
		l := lines[i]
		if len(l) > maxHoverLine {
			l = l[:maxHoverLine] + "…"
		}
		b.WriteString(l + "\n")
	}
	if markdown {
		b.WriteString("```")
	}
	return strings.TrimRight(b.String(), "\n")
}

// chartCodeActions offers, for the findings under the cursor of a chart file, the values
// quick fix of each one whose value comes from a values file, the template fix of each one
// written as literal template text, and a suppression comment on the template line for the
// others; then the fix-all of the chart's values and template fixes.
func (s *Server) chartCodeActions(o *chartOutcome, path string, p *protocol.CodeActionParams) ([]protocol.CodeAction, error) {
	enc := s.encoding()
	caps := s.capabilities()
	want := kindFilter(p.Context.Only)
	m, _ := o.mapper(path)
	start, err1 := offsetOf(m, p.Range.Start, enc)
	end, err2 := offsetOf(m, p.Range.End, enc)
	if err1 != nil || err2 != nil {
		return nil, jsonrpc2.Errorf(jsonrpc2.InvalidParams, "range %v is outside the document", p.Range)
	}
	found := o.at(path, start, end)
	related := map[*helm.Placed][]protocol.Diagnostic{}
	for _, d := range p.Context.Diagnostics {
		if data, ok := decodeDiagnosticData(d); ok {
			if f := o.byKey(data.Key); f != nil {
				related[f] = append(related[f], d)
				if !slices.Contains(found, f) {
					found = append(found, f)
				}
			}
		}
	}
	var actions []protocol.CodeAction
	if want(protocol.CodeActionKindQuickFix) {
		for _, f := range found {
			if a, ok := s.chartValuesFix(o, f, related[f], caps); ok {
				actions = append(actions, a)
				continue
			}
			if a, ok := s.chartTemplateFix(o, f, related[f], caps); ok {
				actions = append(actions, a)
			}
			if a, ok := s.chartSuppress(o, f, related[f], caps); ok {
				actions = append(actions, a)
			}
		}
	}
	fixable := 0
	for i := range o.report.Findings {
		if o.report.Findings[i].Fixable {
			fixable++
		}
	}
	kind := protocol.CodeActionKindQuickFix
	if len(found) == 0 || !want(kind) {
		kind = kindFixAll
	}
	if fixable > 1 && want(kind) {
		title := fmt.Sprintf("Fix all %s problems in chart %s (%d)", Name, filepath.Base(o.root), fixable)
		if edit := s.chartFixAllEdit(o, caps); edit != nil {
			actions = append(actions, protocol.CodeAction{Title: title, Kind: ptr(kind), Edit: edit})
		}
	}
	return actions, nil
}

// chartValuesFix is the quick fix of a finding whose value comes from values: the edits of
// the values files, made on the texts the chart was rendered from.
func (s *Server) chartValuesFix(o *chartOutcome, f *helm.Placed, related []protocol.Diagnostic, caps protocol.ClientCapabilities) (protocol.CodeAction, bool) {
	if !f.Fixable || o.report.Chart == nil {
		return protocol.CodeAction{}, false
	}
	var files []fileEdits
	for _, vf := range o.report.Chart.ValuesFixes(f.Finding) {
		fe, ok := o.fileEdits(vf.File, []fix.Fix{{Name: f.Rule, Ops: vf.Ops}}, true)
		if !ok {
			return protocol.CodeAction{}, false
		}
		files = append(files, fe)
	}
	if len(files) == 0 {
		return protocol.CodeAction{}, false
	}
	title := fmt.Sprintf("Fix %s in %s (%s)", f.Rule, o.rel(files[0].path), f.Values.Path)
	return protocol.CodeAction{
		Title: title, Kind: ptr(protocol.CodeActionKindQuickFix), Diagnostics: related, IsPreferred: ptr(true),
		Edit: s.workspaceEditOf(files, caps, ""),
	}, true
}

// chartTemplateFix is the quick fix of a finding written as literal text of a template: the
// fix's edits carried from the rendered manifest to the template as rendered.
func (s *Server) chartTemplateFix(o *chartOutcome, f *helm.Placed, related []protocol.Diagnostic, caps protocol.ClientCapabilities) (protocol.CodeAction, bool) {
	if !f.Fixable || o.report.Chart == nil {
		return protocol.CodeAction{}, false
	}
	tf := o.report.Chart.TemplateFixes(f.Finding)
	if tf == nil {
		return protocol.CodeAction{}, false
	}
	m, version := o.mapper(tf.File)
	return protocol.CodeAction{
		Title: fmt.Sprintf("Fix %s in %s", f.Rule, o.rel(tf.File)), Kind: ptr(protocol.CodeActionKindQuickFix), Diagnostics: related, IsPreferred: ptr(true),
		Edit: s.workspaceEditOf([]fileEdits{{path: tf.File, uri: o.uriOf(tf.File), version: version, mapper: m, edits: tf.Edits}}, caps, ""),
	}, true
}

// chartFixAllEdit is the edit of every values and template fix of the chart, nil when there
// is none.
func (s *Server) chartFixAllEdit(o *chartOutcome, caps protocol.ClientCapabilities) *protocol.WorkspaceEdit {
	o.fixAllOnce.Do(func() {
		if o.report.Chart == nil {
			return
		}
		var fs []helm.Finding
		for i := range o.report.Findings {
			if o.report.Findings[i].Fixable {
				fs = append(fs, o.report.Findings[i].Finding)
			}
		}
		set := o.report.Chart.ValuesFixSet(fs)
		for _, file := range set.Files {
			if fe, ok := o.fileEdits(file, set.Fixes[file], false); ok {
				o.fixAll = append(o.fixAll, fe)
			}
		}
		templates := o.report.Chart.TemplateFixSet(fs)
		for _, file := range templates.Files {
			m, version := o.mapper(file)
			o.fixAll = append(o.fixAll, fileEdits{path: file, uri: o.uriOf(file), version: version, mapper: m, edits: templates.Edits[file]})
		}
	})
	if len(o.fixAll) == 0 {
		return nil
	}
	return s.workspaceEditOf(o.fixAll, caps, "")
}

// fileEdits applies fixes to a values file's text as rendered; ok is false when they change
// nothing, or when one cannot be applied safely and all must be (a finding's quick fix; a
// fix-all leaves that one out).
func (o *chartOutcome) fileEdits(file string, fixes []fix.Fix, all bool) (fileEdits, bool) {
	m, version := o.mapper(file)
	edits, failed, err := analysis.FixText(m.Text(), fixes)
	if err != nil || (all && len(failed) > 0) || len(edits) == 0 {
		return fileEdits{}, false
	}
	return fileEdits{path: file, uri: o.uriOf(file), version: version, mapper: m, edits: edits}, true
}

// uriOf is the URI of a chart file: the open document's, else the file's.
func (o *chartOutcome) uriOf(file string) uri.URI { return o.reads.uriOf(file) }

// chartSuppress writes a suppression comment above the template line of a finding: rendered,
// it stands on the line above the field, which it covers (SPEC.md section 5). A line that
// trims the whitespace before it ({{-) would join the comment to the previous line: none then.
func (s *Server) chartSuppress(o *chartOutcome, f *helm.Placed, related []protocol.Diagnostic, caps protocol.ClientCapabilities) (protocol.CodeAction, bool) {
	r, ok := o.engine.Rule(f.Rule)
	if !ok || r.Package == "" || f.Manifest == nil {
		return protocol.CodeAction{}, false
	}
	m, version := o.mapper(f.File)
	line := f.Span.Line - 1
	if line < 0 || line >= m.LineCount() {
		return protocol.CodeAction{}, false
	}
	if strings.HasPrefix(strings.TrimLeft(m.Line(line), " \t"), "{{-") {
		return protocol.CodeAction{}, false
	}
	edit := commentAbove(m, line, f.Rule)
	return protocol.CodeAction{
		Title:       fmt.Sprintf("Suppress %s on %s:%d", f.Rule, o.rel(f.File), f.Span.Line),
		Kind:        ptr(protocol.CodeActionKindQuickFix),
		Diagnostics: related,
		Edit:        s.workspaceEditOf([]fileEdits{{path: f.File, uri: o.uriOf(f.File), version: version, mapper: m, edits: []fix.Edit{edit}}}, caps, analysis.SuppressPlaceholder),
	}, true
}

// commentAbove is the edit that writes a suppression comment of rule (SPEC.md section 5) on
// its own line above line (0-based) of m's text, indented as that line, its reason the
// placeholder.
func commentAbove(m *yamldoc.Mapper, line int, rule string) fix.Edit {
	text := m.Line(line)
	indent := text[:len(text)-len(strings.TrimLeft(text, " \t"))]
	at := m.LineStart(line)
	edit := fix.Edit{NewText: indent + "# kube-policy-ls ignore " + rule + " -- " + analysis.SuppressPlaceholder + "\n"}
	edit.Range.Start, edit.Range.End = at, at
	return edit
}
