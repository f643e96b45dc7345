package kustomize

import (
	"strings"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
)

// A comment suppresses the findings on its line and the line below (SPEC.md section 5). The
// build carries a resource's comments onto its object, so the analysis of the built text
// applies them; it carries none from a strategic-merge patch (the merge keeps the base's), a
// JSON 6902 operation or a transformer entry (images, replicas, a name prefix). Those are read
// on the line a finding is placed on, and the line above, with the editor's text when the
// file is open; a comment there that names the rule but is not valid is an
// invalid-suppression finding on its line.
func (b *Built) suppressPlaced(e *analysis.Engine, out *Checked) {
	lines := map[string][]string{}
	linesOf := func(file string) []string {
		ls, ok := lines[file]
		if !ok {
			if text, err := b.read(file); err == nil {
				ls = strings.Split(string(text), "\n")
			}
			lines[file] = ls
		}
		return ls
	}
	var kept, invalid []Finding
	seen := map[Location]bool{}
	for _, f := range out.Findings {
		if f.By != ByResource && f.At.File != "" && f.At.Line > 0 {
			ls := linesOf(f.At.File)
			for _, i := range []int{f.At.Line - 1, f.At.Line - 2} { // the finding's line, the one above
				if i < 0 || i >= len(ls) {
					continue
				}
				s, problem := e.CommentSuppression(ls[i], f.Rule)
				if at := (Location{File: f.At.File, Line: i + 1, Column: 1, EndLine: i + 1, EndColumn: len(ls[i]) + 1}); problem != "" && !seen[at] {
					seen[at] = true
					invalid = append(invalid, Finding{
						Finding:  analysis.Finding{Rule: analysis.RuleInvalidSuppression, Severity: e.Severity(analysis.RuleInvalidSuppression), Message: problem},
						Overlays: f.Overlays, At: at, By: f.By,
					})
				}
				if s != nil {
					f.Suppressed = s
					break
				}
			}
		}
		if f.Suppressed != nil {
			out.Suppressed = append(out.Suppressed, f)
			continue
		}
		kept = append(kept, f)
	}
	out.Findings = append(kept, invalid...)
}
