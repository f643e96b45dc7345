package lsp

import (
	"context"
	"slices"
	"strings"

	"go.lsp.dev/protocol"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"
)

// hover explains the rules flagged at a position: title, why it matters, what passes, the
// fix, and the Pod Security Standards and Terrascan ids, as Markdown when the client takes it.
// Where several rules flag the position, it lists the line's findings instead (crowdedLine).
func (s *Server) hover(ctx context.Context, p *protocol.HoverParams) (*protocol.Hover, error) {
	if o, path, err := s.chartAt(ctx, p.TextDocument.URI); err != nil || o != nil {
		if err != nil {
			return nil, protocol.ErrRequestCancelled
		}
		markdown, docs := s.hoverFormat()
		return s.chartHover(o, path, p, markdown, docs)
	}
	snap, err := s.snapshot(ctx, p.TextDocument.URI)
	if err != nil {
		return nil, protocol.ErrRequestCancelled
	}
	if snap == nil {
		return nil, nil
	}
	if snap.Result == nil || snap.Engine == nil {
		return s.overlayHoverAt(p), nil // a patch or kustomization: its overlays' findings
	}
	enc := s.encoding()
	off, err := offsetOf(snap.Mapper, p.Position, enc)
	if err != nil {
		return nil, nil
	}
	var rules []string
	var span yamldoc.Range
	for _, f := range snap.Result.Findings {
		if off < f.Range.Start || off > f.Range.End || slices.Contains(rules, f.Rule) {
			continue
		}
		if len(rules) == 0 || f.Range.End-f.Range.Start < span.End-span.Start {
			span = f.Range
		}
		rules = append(rules, f.Rule)
	}
	if len(rules) == 0 {
		return s.overlayHoverAt(p), nil
	}
	markdown, docs := s.hoverFormat()
	parts := make([]string, 0, len(rules))
	if len(rules) > 1 {
		// A crowded line: one line per finding, then the docs of the rule under the cursor.
		var focus string
		parts, focus = crowdedLine(snap, off, markdown, docs)
		rules = rules[:0]
		if focus != "" {
			rules = append(rules, focus)
		}
	}
	for _, id := range rules {
		if r, ok := snap.Engine.Rule(id); ok {
			parts = append(parts, r.Help(analysis.HelpOptions{Markdown: markdown, Severity: snap.Engine.Severity(id), Link: true, DocsBase: docs}))
		}
	}
	kind, sep := protocol.MarkupKindPlainText, "\n\n"
	if markdown {
		kind, sep = protocol.MarkupKindMarkdown, "\n\n---\n\n"
	}
	rng := toRange(snap.Mapper, span, enc)
	return &protocol.Hover{
		Contents: &protocol.MarkupContent{Kind: kind, Value: strings.Join(parts, sep)},
		Range:    &rng,
	}, nil
}

// hoverFormat says whether the client takes Markdown in hovers, and where the rules' docs are.
func (s *Server) hoverFormat() (markdown bool, docs string) {
	markdown = true
	if td := s.capabilities().TextDocument; td != nil && td.Hover != nil && len(td.Hover.ContentFormat) > 0 {
		markdown = slices.Contains(td.Hover.ContentFormat, protocol.MarkupKindMarkdown)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return markdown, s.settings.editor.docs()
}

// overlayHoverAt is the hover of the overlay findings on the hovered line, nil for none.
func (s *Server) overlayHoverAt(p *protocol.HoverParams) *protocol.Hover {
	markdown, docs := s.hoverFormat()
	text := s.overlayHover(p.TextDocument.URI, p.Position.Line, markdown, docs)
	if text == "" {
		return nil
	}
	kind := protocol.MarkupKindPlainText
	if markdown {
		kind = protocol.MarkupKindMarkdown
	}
	return &protocol.Hover{Contents: &protocol.MarkupContent{Kind: kind, Value: text}}
}
