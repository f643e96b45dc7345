package lsp

import (
	"context"
	"fmt"
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
	snap, err := s.snapshot(ctx, p.TextDocument.URI)
	if err != nil {
		return nil, protocol.ErrRequestCancelled
	}
	if snap == nil || snap.Result == nil || snap.Engine == nil {
		return nil, nil
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
		return nil, nil
	}
	markdown := true
	if td := s.capabilities().TextDocument; td != nil && td.Hover != nil && len(td.Hover.ContentFormat) > 0 {
		markdown = slices.Contains(td.Hover.ContentFormat, protocol.MarkupKindMarkdown)
	}
	s.mu.Lock()
	docs := s.settings.editor.docs()
	s.mu.Unlock()
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
			parts = append(parts, ruleHelp(r, snap.Engine.Severity(id), markdown, docs))
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

// ruleHelp is one rule's explanation.
func ruleHelp(r analysis.Rule, sev analysis.Severity, markdown bool, docs string) string {
	var b strings.Builder
	section := func(label, text string) {
		if text == "" {
			return
		}
		if markdown {
			fmt.Fprintf(&b, "\n\n**%s** %s", label, text)
		} else {
			fmt.Fprintf(&b, "\n\n%s %s", label, text)
		}
	}
	ids := func(list []string) string {
		if !markdown {
			return strings.Join(list, ", ")
		}
		quoted := make([]string, len(list))
		for i, id := range list {
			quoted[i] = "`" + id + "`"
		}
		return strings.Join(quoted, ", ")
	}
	if markdown {
		fmt.Fprintf(&b, "**%s**\n\n`%s` · %s", r.Title, r.ID, sev)
	} else {
		fmt.Fprintf(&b, "%s\n%s (%s)", r.Title, r.ID, sev)
	}
	if r.Description != "" {
		b.WriteString("\n\n" + r.Description)
	}
	section("What passes:", r.Passes)
	section("Fix:", r.Fix)
	var refs []string
	if len(r.PSS) > 0 {
		refs = append(refs, "Pod Security Standards: "+ids(r.PSS))
	}
	if len(r.Terrascan) > 0 {
		refs = append(refs, "Terrascan: "+ids(r.Terrascan))
	}
	if len(refs) > 0 {
		b.WriteString("\n\n" + strings.Join(refs, " · "))
	}
	link := ruleDocURL(docs, r.ID)
	if markdown {
		fmt.Fprintf(&b, "\n\n[Rule documentation](%s)", link)
	} else {
		b.WriteString("\n\n" + link)
	}
	return b.String()
}
