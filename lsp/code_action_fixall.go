package lsp

import (
	"fmt"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
)

// Which findings a fix-all fixes: a file's, one rule's, or one container's.

// fixAllArgs identifies a fix-all: in code action data (for resolve) and command arguments.
type fixAllArgs struct {
	URI       uri.URI       `json:"uri"`
	Rule      string        `json:"rule,omitempty"`      // "": every fixable finding
	Container *containerRef `json:"container,omitempty"` // nil: every container
}

// containerRef is one container of a file: its document, object and label.
type containerRef struct {
	Doc   int    `json:"doc"`
	Item  []any  `json:"item,omitempty"`
	Label string `json:"label"`
}

// holds says whether f is about the container.
func (c *containerRef) holds(res *analysis.Result, f *analysis.Finding) bool {
	return c == nil || (f.Doc == c.Doc && fmt.Sprint(f.Item) == fmt.Sprint(c.Item) && res.Container(*f) == c.Label)
}

// keep selects the findings a fix-all fixes.
func (a fixAllArgs) keep(res *analysis.Result) func(*analysis.Finding) bool {
	return func(f *analysis.Finding) bool {
		return (a.Rule == "" || f.Rule == a.Rule) && a.Container.holds(res, f)
	}
}

// containerFixAll is "Fix all N problems in container X" for the first container with two or
// more fixable findings under the cursor; N counts that container's fixable findings in the file.
func (s *Server) containerFixAll(snap *Snapshot, under []analysis.Finding, caps protocol.ClientCapabilities) (protocol.CodeAction, bool) {
	res := snap.Result
	for i := range under {
		f := &under[i]
		label := res.Container(*f)
		if !f.Fixable() || label == "" {
			continue
		}
		c := &containerRef{Doc: f.Doc, Item: f.Item, Label: label}
		here := 0
		for j := range under {
			if under[j].Fixable() && c.holds(res, &under[j]) {
				here++
			}
		}
		if here < 2 {
			continue
		}
		args := fixAllArgs{URI: snap.URI, Container: c}
		n := 0
		for j := range res.Findings {
			if res.Findings[j].Fixable() && args.keep(res)(&res.Findings[j]) {
				n++
			}
		}
		return s.fixAllAction(snap, fmt.Sprintf("Fix all %d problems in %s", n, label), protocol.CodeActionKindQuickFix, args, caps), true
	}
	return protocol.CodeAction{}, false
}
