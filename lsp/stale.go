package lsp

import (
	"slices"

	"go.lsp.dev/protocol"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"
)

// No flicker: a document that does not parse has no findings but its syntax error, so one
// stray keystroke used to wipe every squiggle of the document until it parsed again. While it
// does not, the findings of its last valid version stay, shifted with the edits since, except
// those in the edited region (their text is gone or changed); their diagnostic data carries
// lastValidVersion. The first analysis that parses replaces them all.

// lastValid is what a document's last valid analysis found, carried along its later texts.
type lastValid struct {
	version  int32              // the document version that parsed
	text     string             // the text the findings' offsets refer to (a later one, once shifted)
	findings []analysis.Finding // file offsets in text
}

// broken reports whether a document of res did not parse.
func broken(res *analysis.Result) bool {
	return res != nil && slices.ContainsFunc(res.Docs, func(d *analysis.DocResult) bool { return d.Doc.Err != nil })
}

// refused reports whether a limit refused a document of res: that stays one clear finding,
// with nothing carried beside it.
func refused(res *analysis.Result) bool {
	return slices.ContainsFunc(res.Docs, func(d *analysis.DocResult) bool { return d.Doc.Err != nil && d.Doc.Err.Limit })
}

// carry follows lv to res's text: it returns what to keep for the next analysis, and the
// diagnostics of the carried findings that lie in res's broken documents (the others have
// fresh findings). A valid res starts over from its own findings.
func carry(lv *lastValid, res *analysis.Result, version int32, enc yamldoc.Encoding, sev severityMap, docs string) (*lastValid, []protocol.Diagnostic) {
	text := res.Mapper.Text()
	if !broken(res) {
		return &lastValid{version: version, text: text, findings: res.Findings}, nil
	}
	if lv == nil || refused(res) {
		return lv, nil // the findings are kept for when the text comes back within limits
	}
	next := &lastValid{version: lv.version, text: text, findings: shiftFindings(lv.findings, lv.text, text)}
	var out []protocol.Diagnostic
	for i := range next.findings {
		f := &next.findings[i]
		if !inBrokenDoc(res, f.Range) {
			continue
		}
		// not fixable now: the fix needs a parsed document
		out = append(out, findingDiagnostic(res.Mapper, f, diagnosticData{LastValidVersion: lv.version}, enc, sev, docs))
	}
	return next, out
}

// shiftFindings moves findings of old to new: the texts differ in one region (between their
// common prefix and suffix); findings before it stay, findings after it move by the change in
// length, findings that touch it are dropped. Analyses come a keystroke or a few apart, so
// the region is small even when several edits add up to a large one. A finding the edit
// touches, even at an end ("true" -> "truex"), may no longer hold: it goes.
func shiftFindings(fs []analysis.Finding, old, cur string) []analysis.Finding {
	if old == cur {
		return fs
	}
	prefix := 0
	for prefix < len(old) && prefix < len(cur) && old[prefix] == cur[prefix] {
		prefix++
	}
	suffix := 0
	for suffix < len(old)-prefix && suffix < len(cur)-prefix && old[len(old)-1-suffix] == cur[len(cur)-1-suffix] {
		suffix++
	}
	oldEnd, delta := len(old)-suffix, len(cur)-len(old)
	out := make([]analysis.Finding, 0, len(fs))
	for _, f := range fs {
		switch {
		case f.Range.End < prefix:
			out = append(out, f)
		case f.Range.Start > oldEnd:
			f.Range.Start += delta
			f.Range.End += delta
			out = append(out, f)
		}
	}
	return out
}

// inBrokenDoc reports whether r lies in a document of res that did not parse.
func inBrokenDoc(res *analysis.Result, r yamldoc.Range) bool {
	for _, d := range res.Docs {
		if d.Doc.Err != nil && d.Doc.Offset <= r.Start && r.End <= d.Doc.Offset+len(d.Doc.Text) {
			return true
		}
	}
	return false
}

// mergeByPosition adds kept to diags, keeping them in position order as toDiagnostics gives
// them.
func mergeByPosition(diags, kept []protocol.Diagnostic) []protocol.Diagnostic {
	if len(kept) == 0 {
		return diags
	}
	out := append(diags, kept...)
	slices.SortStableFunc(out, func(a, b protocol.Diagnostic) int {
		if a.Range.Start.Line != b.Range.Start.Line {
			return int(a.Range.Start.Line) - int(b.Range.Start.Line)
		}
		return int(a.Range.Start.Character) - int(b.Range.Start.Character)
	})
	return out
}
