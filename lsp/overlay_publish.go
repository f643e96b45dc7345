package lsp

import (
	"bytes"
	"cmp"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"time"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"
	"go.uber.org/zap"

	"github.com/kube-policy-ls/kube-policy-ls/analysis/kustomize"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"
)

// A file read by overlays shows one diagnostic per (line, rule), whoever found it: its own
// check, one overlay or several (kustomize.Join, as `check` decides). A finding of its own
// check that overlays build too names them; a finding only overlays build is placed on the
// file's line and names them ("in overlay prod/"). The file's own check publishes at once
// with the overlays' findings as last checked, and each overlay's check publishes again the
// files it has or had findings on.

// withOverlaysLocked returns the diagnostics of the file at path: own (its own check's, nil
// for none) merged with the findings the overlays place on it. Called with s.mu held.
func (s *Server) withOverlaysLocked(path string, own []protocol.Diagnostic) []protocol.Diagnostic {
	if path == "" {
		return own
	}
	var placed []kustomize.Finding
	var checked []*kustomize.Overlay // which read path as a fragment: kustomize.Merge
	outs := map[string]*overlayOutcome{}
	for root, a := range s.assemblies {
		o, ok := a.outcome.(*overlayOutcome)
		if !ok {
			continue
		}
		if o.built != nil {
			checked = append(checked, o.built.Overlay)
		}
		for _, f := range o.findings {
			if f.At.File == path {
				placed, outs[root] = append(placed, f), o
			}
		}
	}
	if len(placed) == 0 {
		return own
	}
	places := map[kustomize.Place]bool{}
	for _, d := range own {
		places[placeOf(path, d)] = true
	}
	rest, named := kustomize.Join(placed, places, checked)
	out := make([]protocol.Diagnostic, 0, len(own)+len(rest))
	for _, d := range own {
		if roots := named[placeOf(path, d)]; len(roots) > 0 {
			d.Message = protocol.String(messageText(d) + s.overlayNote(roots))
		}
		out = append(out, d)
	}
	for _, f := range rest {
		o := outs[f.Overlays[0]]
		m, _ := o.mapper(path)
		r := toRange(m, yamldoc.Range{Start: offsetAt(m, f.At.Line, f.At.Column), End: offsetAt(m, f.At.EndLine, f.At.EndColumn)}, s.enc)
		data := diagnosticData{Rule: f.Rule, Key: overlayKey(f), Fixable: f.FixFile != ""}
		out = append(out, ruleDiagnostic(r, &f.Finding, f.Message+s.overlayNote(f.Overlays), data, o.sev, o.docs))
	}
	slices.SortStableFunc(out, func(a, b protocol.Diagnostic) int {
		return cmp.Or(cmp.Compare(a.Range.Start.Line, b.Range.Start.Line), cmp.Compare(a.Range.Start.Character, b.Range.Start.Character))
	})
	return out
}

// withOverlays is withOverlaysLocked for an open document (a pull of its diagnostics).
func (s *Server) withOverlays(u uri.URI, own []protocol.Diagnostic) []protocol.Diagnostic {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d := s.docs[u]; d != nil && (d.kind == kindManifest || d.kind == kindFragment) {
		return s.withOverlaysLocked(d.path, own)
	}
	return own
}

// placeOf is the place of a diagnostic of the file at path.
func placeOf(path string, d protocol.Diagnostic) kustomize.Place {
	code, _ := d.Code.(protocol.String)
	return kustomize.Place{File: path, Line: int(d.Range.Start.Line) + 1, Rule: string(code)}
}

func messageText(d protocol.Diagnostic) string {
	m, _ := d.Message.(protocol.String)
	return string(m)
}

// overlayKey identifies an overlay finding across checks (diagnosticData.Key): where it is
// placed and what it says.
func overlayKey(f kustomize.Finding) string {
	b, _ := json.Marshal([]any{"overlay", f.Rule, f.At, f.Message})
	return string(b)
}

// overlayNote names the overlays that build a finding, for its message.
func (s *Server) overlayNote(roots []string) string {
	names := make([]string, 0, len(roots))
	for _, r := range roots {
		names = append(names, s.overlayName(r))
	}
	if len(names) == 1 {
		return " (in overlay " + names[0] + ")"
	}
	return " (in overlays " + strings.Join(names, ", ") + ")"
}

// publishShared publishes again the files that overlay a has or had findings on, the files
// shown that it reads as fragments (another overlay's unused suppression there may be used in
// a, kustomize.Merge), and its open members: open documents with their own diagnostics (when
// their own check is current; else that check publishes), other files with the overlays'
// findings alone.
func (s *Server) publishShared(a *assembly, gen uint64, since time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, _ := a.outcome.(*overlayOutcome)
	if a.gen != gen || o == nil {
		return
	}
	files := map[string]bool{}
	for f := range a.published {
		files[f] = true
	}
	a.published = map[string][]byte{}
	for _, f := range o.findings {
		files[f.At.File], a.published[f.At.File] = true, nil
	}
	if s.pull {
		return
	}
	if o.built != nil {
		// another overlay's unused suppression in a fragment this one reads may be used here
		for f := range s.shownFiles {
			if o.built.Fragment(f) {
				files[f] = true
			}
		}
	}
	open := map[string]*document{}
	for _, d := range s.docs {
		if d.path != "" && !d.closed {
			open[d.path] = d
			if slices.Contains(d.overlays, a) {
				files[d.path] = true
			}
		}
	}
	for _, file := range slices.Sorted(maps.Keys(files)) {
		if d := open[file]; d != nil {
			if (d.kind == kindManifest || d.kind == kindFragment) && d.done {
				s.putDocumentLocked(d, s.withOverlaysLocked(file, d.diags))
			}
			continue
		}
		s.putFileLocked(file, s.withOverlaysLocked(file, nil), since)
	}
}

// putFileLocked publishes the diagnostics of a file that is not open, unless the client has
// them already. Called with s.mu held.
func (s *Server) putFileLocked(file string, diags []protocol.Diagnostic, since time.Time) {
	body, err := protocol.Marshal(diags)
	if err != nil {
		s.log.Error("encoding diagnostics", zap.String("file", file), zap.Error(err))
		return
	}
	last, had := s.shownFiles[file]
	if (had && bytes.Equal(last, body)) || (!had && len(diags) == 0) {
		return
	}
	if len(diags) == 0 {
		delete(s.shownFiles, file)
	} else {
		s.shownFiles[file] = body
	}
	s.out.put(uri.File(file), -1, body, since)
}
