package lsp

import (
	"context"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"
)

// A client that pulls diagnostics asks for those of its open documents one by one
// (textDocument/diagnostic, pullDiagnostics). The findings that charts and overlays place on
// files it has not opened (a values file, a patch, a base resource) it gets from
// workspace/diagnostic: one report for each such file, and an empty one for a file that had
// findings in the client's previous report and has none now. After every check of a chart or
// an overlay the server asks the client to pull both again (refreshPulledDiagnostics).

// workspaceDiagnostics answers workspace/diagnostic from the checks completed so far.
func (s *Server) workspaceDiagnostics(_ context.Context, p *protocol.WorkspaceDiagnosticParams) (*protocol.WorkspaceDiagnosticReport, error) {
	enc := s.encoding()
	files := map[string][]protocol.Diagnostic{}
	open := map[string]bool{}
	var charts []*chartOutcome
	s.mu.Lock()
	for _, d := range s.docs {
		if d.path != "" && !d.closed {
			open[d.path] = true
		}
	}
	for _, root := range slices.Sorted(maps.Keys(s.assemblies)) {
		switch o := s.assemblies[root].outcome.(type) {
		case *chartOutcome:
			charts = append(charts, o)
		case *overlayOutcome:
			for _, f := range o.findings {
				if !open[f.At.File] {
					files[f.At.File] = nil
				}
			}
		}
	}
	for file := range files {
		files[file] = s.withOverlaysLocked(file, nil)
	}
	s.mu.Unlock()
	for _, o := range charts { // outside the lock: the conversion reads the chart's files
		for file, ds := range o.diagnostics(enc) {
			if !open[file] && len(ds) > 0 {
				files[file] = append(files[file], ds...)
			}
		}
	}

	previous := map[uri.URI]string{}
	for _, r := range p.PreviousResultIds {
		previous[r.URI] = r.Value
	}
	report := &protocol.WorkspaceDiagnosticReport{Items: []protocol.WorkspaceDocumentDiagnosticReport{}}
	add := func(u uri.URI, diags []protocol.Diagnostic) error {
		body, err := protocol.Marshal(diags)
		if err != nil {
			return fmt.Errorf("encoding diagnostics: %w", err)
		}
		id := resultID(body)
		if last, ok := previous[u]; ok && last == id {
			report.Items = append(report.Items, &protocol.WorkspaceUnchangedDocumentDiagnosticReport{
				UnchangedDocumentDiagnosticReport: protocol.UnchangedDocumentDiagnosticReport{Kind: "unchanged", ResultID: id}, URI: u,
			})
			return nil
		}
		report.Items = append(report.Items, &protocol.WorkspaceFullDocumentDiagnosticReport{
			FullDocumentDiagnosticReport: protocol.FullDocumentDiagnosticReport{Kind: "full", ResultID: &id, Items: diags}, URI: u,
		})
		return nil
	}
	shown := map[uri.URI]bool{}
	for _, file := range slices.Sorted(maps.Keys(files)) {
		u := uri.File(file)
		shown[u] = true
		if err := add(u, files[file]); err != nil {
			return nil, err
		}
	}
	// Files the client was told of before and that have no findings now, unless it was told
	// so already (its previous report is the empty one) or it has them open (pulled apart).
	cleared := resultID([]byte("[]"))
	for _, u := range slices.Sorted(maps.Keys(previous)) {
		if shown[u] || previous[u] == cleared || open[uriPath(u)] {
			continue
		}
		if err := add(u, []protocol.Diagnostic{}); err != nil {
			return nil, err
		}
	}
	return report, nil
}

// resultID names a diagnostics report by its JSON, so that a client that sends it back as
// its previous result learns that nothing changed.
func resultID(body []byte) string {
	h := fnv.New64a()
	h.Write(body)
	return fmt.Sprintf("%016x", h.Sum64())
}
