package lsp

import (
	"cmp"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/kube-policy-ls/kube-policy-ls/analysis/fix"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/kustomize"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/workspace"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"
)

// A finding on a base file that several overlays build has the base's own fix, which changes
// every overlay. Each overlay that builds it is also offered the fix made there only: a new
// strategic-merge patch beside its kustomization, listed under its patches
// (kustomize.Built.PatchFix).

// patchCandidate is a base finding as one overlay builds it.
type patchCandidate struct {
	f   kustomize.Finding
	out *overlayOutcome
}

// overlayPatchActions offers, for each base finding under the cursor that at least two
// overlays build, its fix as a patch in each overlay outside the base's directory. The edit
// creates a file: a client without documentChanges and the create operation gets none.
func (s *Server) overlayPatchActions(p *protocol.CodeActionParams, caps protocol.ClientCapabilities) []protocol.CodeAction {
	if !createsFiles(caps) {
		return nil
	}
	path, found := s.patchCandidates(p.TextDocument.URI, p.Range.Start.Line, p.Range.End.Line)
	var actions []protocol.CodeAction
	for _, c := range found {
		op, err := c.out.built.PatchFix(c.f)
		if err != nil {
			continue // no fix, or one a strategic merge cannot express: the base's fix stays
		}
		place := kustomize.Place{File: path, Line: c.f.At.Line, Rule: c.f.Rule}
		var related []protocol.Diagnostic
		for _, d := range p.Context.Diagnostics {
			if placeOf(path, d) == place {
				related = append(related, d)
			}
		}
		m, version := c.out.mapper(op.Kustomization)
		edit := s.workspaceEditOf([]fileEdits{
			{path: op.File, uri: uri.File(op.File), mapper: yamldoc.NewMapper(""), edits: []fix.Edit{{NewText: op.Text}}},
			{path: op.Kustomization, uri: c.out.reads.uriOf(op.Kustomization), version: version, mapper: m, edits: op.Edits},
		}, caps, "")
		edit.DocumentChanges = slices.Insert(edit.DocumentChanges, 0, protocol.DocumentChange(&protocol.CreateFile{Kind: "create", URI: uri.File(op.File)}))
		actions = append(actions, protocol.CodeAction{
			Title:       fmt.Sprintf("Fix %s in overlay %s only (new patch %s)", c.f.Rule, s.overlayName(c.out.root), filepath.Base(op.File)),
			Kind:        ptr(protocol.CodeActionKindQuickFix),
			Diagnostics: related,
			Edit:        edit,
		})
	}
	return actions
}

// patchCandidates returns the base findings on lines from through to (0-based) of the open
// document u that two or more overlays build, once for each overlay that builds it from
// outside the file's directory (one whose root holds the file is fixed in the file), sorted
// by line, rule and overlay; and the document's path.
func (s *Server) patchCandidates(u uri.URI, from, to uint32) (string, []patchCandidate) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.docs[u]
	if d == nil || d.path == "" || d.kind != kindManifest {
		return "", nil
	}
	builders := map[kustomize.Place]int{}
	var found []patchCandidate
	for _, a := range s.assemblies {
		o, ok := a.outcome.(*overlayOutcome)
		if !ok {
			continue
		}
		for _, f := range o.findings {
			line := uint32(max(f.At.Line-1, 0))
			if f.At.File != d.path || f.By != kustomize.ByResource || line < from || line > to {
				continue
			}
			builders[kustomize.Place{File: d.path, Line: f.At.Line, Rule: f.Rule}]++
			if o.built != nil && f.Fixable() && !workspace.Within(o.root, d.path) {
				found = append(found, patchCandidate{f, o})
			}
		}
	}
	found = slices.DeleteFunc(found, func(c patchCandidate) bool {
		return builders[kustomize.Place{File: d.path, Line: c.f.At.Line, Rule: c.f.Rule}] < 2
	})
	slices.SortFunc(found, func(a, b patchCandidate) int {
		return cmp.Or(cmp.Compare(a.f.At.Line, b.f.At.Line), strings.Compare(a.f.Rule, b.f.Rule), strings.Compare(a.out.root, b.out.root))
	})
	return d.path, found
}

// createsFiles reports whether the client applies workspace edits that create files.
func createsFiles(caps protocol.ClientCapabilities) bool {
	if caps.Workspace == nil || caps.Workspace.WorkspaceEdit == nil || !isTrue(caps.Workspace.WorkspaceEdit.DocumentChanges) {
		return false
	}
	return slices.Contains(caps.Workspace.WorkspaceEdit.ResourceOperations, protocol.ResourceOperationKindCreate)
}
