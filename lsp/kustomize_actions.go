package lsp

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/fix"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/kustomize"
)

// Code actions and hover on the findings overlays place on a file (a patch, a base, a
// kustomization entry) answer from the overlays' latest checks, without building again. A
// finding the file's own check has too gets that check's actions (code_action.go); one only
// overlays report gets its fix where the field is set (the patch or base document) and a
// suppression comment above its line.

// placedFinding is an overlay finding with the overlay check that placed it.
type placedFinding struct {
	kustomize.Finding
	out *overlayOutcome
}

// overlayFindings returns the findings that only overlays report on the open document u,
// on its lines from through to (0-based), merged across overlays, and the document's path.
func (s *Server) overlayFindings(u uri.URI, from, to uint32) ([]placedFinding, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.docs[u]
	if d == nil || d.path == "" || (d.kind != kindManifest && d.kind != kindFragment) {
		return nil, ""
	}
	byKey := map[string]placedFinding{}
	for _, a := range s.assemblies {
		if o, ok := a.outcome.(*overlayOutcome); ok {
			for _, f := range o.findings {
				if f.At.File == d.path {
					byKey[overlayKey(f)] = placedFinding{f, o}
				}
			}
		}
	}
	var out []placedFinding
	for _, dg := range s.withOverlaysLocked(d.path, d.diags) {
		data, ok := decodeDiagnosticData(dg)
		f, placed := byKey[data.Key]
		if ok && placed && dg.Range.Start.Line <= to && from <= dg.Range.Start.Line {
			f.Overlays = s.namedOverlays(data.Key)
			out = append(out, f)
		}
	}
	return out, d.path
}

// namedOverlays are every overlay that builds the finding with this key. Called with s.mu
// held.
func (s *Server) namedOverlays(key string) []string {
	var roots []string
	for root, a := range s.assemblies {
		if o, ok := a.outcome.(*overlayOutcome); ok && slices.ContainsFunc(o.findings, func(f kustomize.Finding) bool { return overlayKey(f) == key }) {
			roots = append(roots, root)
		}
	}
	slices.Sort(roots)
	return roots
}

// overlayCodeActions offers, for each overlay finding under the cursor, its fix in the file
// that sets the field, and a suppression comment above its line.
func (s *Server) overlayCodeActions(p *protocol.CodeActionParams) []protocol.CodeAction {
	if !kindFilter(p.Context.Only)(protocol.CodeActionKindQuickFix) {
		return nil
	}
	found, _ := s.overlayFindings(p.TextDocument.URI, p.Range.Start.Line, p.Range.End.Line)
	caps := s.capabilities()
	var actions []protocol.CodeAction
	for _, f := range found {
		var related []protocol.Diagnostic
		for _, d := range p.Context.Diagnostics {
			if data, ok := decodeDiagnosticData(d); ok && data.Key == overlayKey(f.Finding) {
				related = append(related, d)
			}
		}
		if a, ok := s.overlayFix(f, related, caps); ok {
			actions = append(actions, a)
		}
		if a, ok := s.overlaySuppress(f, related, caps); ok {
			actions = append(actions, a)
		}
	}
	return append(actions, s.overlayPatchActions(p, caps)...)
}

// overlayFix is the finding's fix made in the document that sets the field, on the text the
// overlay was built from.
func (s *Server) overlayFix(f placedFinding, related []protocol.Diagnostic, caps protocol.ClientCapabilities) (protocol.CodeAction, bool) {
	if f.FixFile == "" {
		return protocol.CodeAction{}, false
	}
	m, version := f.out.mapper(f.FixFile)
	edits, failed, err := analysis.FixDocument(m.Text(), f.FixDoc, []fix.Fix{f.Fix})
	if err != nil || len(failed) > 0 || len(edits) == 0 {
		return protocol.CodeAction{}, false
	}
	return protocol.CodeAction{
		Title: fmt.Sprintf("Fix %s in %s", f.Rule, filepath.Base(f.FixFile)), Kind: ptr(protocol.CodeActionKindQuickFix),
		Diagnostics: related, IsPreferred: ptr(true),
		Edit: s.workspaceEditOf([]fileEdits{{path: f.FixFile, uri: f.out.reads.uriOf(f.FixFile), version: version, mapper: m, edits: edits}}, caps, ""),
	}, true
}

// overlaySuppress writes the suppression annotation (SPEC.md section 5) into the document
// the fix would edit: a strategic-merge patch's metadata is merged into the object, so the
// annotation suppresses the finding in every overlay that applies the patch. A finding set
// by a JSON 6902 operation or a transformer entry has no such document: it gets a comment
// above the line it is placed on, which the overlays read there (kustomize.Built.Check).
func (s *Server) overlaySuppress(f placedFinding, related []protocol.Diagnostic, caps protocol.ClientCapabilities) (protocol.CodeAction, bool) {
	if f.out.engine == nil {
		return protocol.CodeAction{}, false
	}
	if r, ok := f.out.engine.Rule(f.Rule); !ok || r.Package == "" {
		return protocol.CodeAction{}, false // kustomize-build is not suppressed: the entry is mended
	}
	if f.FixFile == "" || f.FixFile != f.At.File {
		return s.overlaySuppressComment(f, related, caps)
	}
	m, version := f.out.mapper(f.FixFile)
	sup := fix.Fix{Name: f.Rule, Ops: []fix.Op{{Op: "set", Path: []any{"metadata", "annotations", analysis.SuppressAnnotation(f.Rule)}, Value: analysis.SuppressPlaceholder}}}
	edits, failed, err := analysis.FixDocument(m.Text(), f.FixDoc, []fix.Fix{sup})
	if err != nil || len(failed) > 0 || len(edits) == 0 {
		return protocol.CodeAction{}, false
	}
	object := f.Object.Kind
	if f.Object.Name != "" {
		object += " " + f.Object.Name
	}
	return protocol.CodeAction{
		Title:       fmt.Sprintf("Suppress %s for %s in %s", f.Rule, object, filepath.Base(f.FixFile)),
		Kind:        ptr(protocol.CodeActionKindQuickFix),
		Diagnostics: related,
		Edit:        s.workspaceEditOf([]fileEdits{{path: f.FixFile, uri: f.out.reads.uriOf(f.FixFile), version: version, mapper: m, edits: edits}}, caps, analysis.SuppressPlaceholder),
	}, true
}

// overlaySuppressComment writes a suppression comment above the kustomization entry or JSON
// 6902 operation a finding is placed on; none in a JSON file, which has no comments.
func (s *Server) overlaySuppressComment(f placedFinding, related []protocol.Diagnostic, caps protocol.ClientCapabilities) (protocol.CodeAction, bool) {
	if f.By == kustomize.ByResource || f.At.Line < 1 || strings.EqualFold(filepath.Ext(f.At.File), ".json") {
		return protocol.CodeAction{}, false
	}
	m, version := f.out.mapper(f.At.File)
	if m == nil || f.At.Line > m.LineCount() {
		return protocol.CodeAction{}, false
	}
	return protocol.CodeAction{
		Title:       fmt.Sprintf("Suppress %s with a comment in %s", f.Rule, filepath.Base(f.At.File)),
		Kind:        ptr(protocol.CodeActionKindQuickFix),
		Diagnostics: related,
		Edit: s.workspaceEditOf([]fileEdits{{path: f.At.File, uri: f.out.reads.uriOf(f.At.File), version: version, mapper: m,
			edits: []fix.Edit{commentAbove(m, f.At.Line-1, f.Rule)}}}, caps, analysis.SuppressPlaceholder),
	}, true
}

// overlayHover explains the overlay findings on the hovered line: the rule and the overlays
// that build it; "" for none.
func (s *Server) overlayHover(u uri.URI, line uint32, markdown bool, docs string) string {
	found, _ := s.overlayFindings(u, line, line)
	var parts []string
	for _, f := range found {
		var b strings.Builder
		names := make([]string, 0, len(f.Overlays))
		for _, r := range f.Overlays {
			names = append(names, s.overlayName(r))
		}
		fmt.Fprintf(&b, "%s: built by overlay%s %s (%s here)\n\n", f.Rule, plural(len(names)), strings.Join(names, ", "), f.By)
		if f.out.engine == nil {
			b.WriteString(f.Message)
		} else if r, ok := f.out.engine.Rule(f.Rule); ok {
			b.WriteString(r.Help(analysis.HelpOptions{Markdown: markdown, Severity: f.out.engine.Severity(f.Rule), Link: true, DocsBase: docs}))
		} else {
			b.WriteString(f.Message)
		}
		parts = append(parts, b.String())
	}
	sep := "\n\n"
	if markdown {
		sep = "\n\n---\n\n"
	}
	return strings.Join(parts, sep)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
