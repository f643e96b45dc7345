package kustomize

import (
	"strings"
	"unicode/utf8"

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
			sup, bad := commentAt(e, linesOf(f.At.File), f)
			f.Suppressed = sup
			for _, b := range bad {
				if !seen[b.At] {
					seen[b.At] = true
					invalid = append(invalid, b)
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

// commentAt reads the comments of f's rule on its line and the line above (ls are the lines
// of its file): how one suppresses f, and the invalid-suppression findings of those that name
// the rule but are not valid.
func commentAt(e *analysis.Engine, ls []string, f Finding) (*analysis.Suppression, []Finding) {
	var bad []Finding
	for _, i := range []int{f.At.Line - 1, f.At.Line - 2} {
		if i < 0 || i >= len(ls) {
			continue
		}
		sup, problem, start := e.CommentSuppression(ls[i], f.Rule)
		if sup != nil {
			return sup, bad
		}
		if problem != "" {
			line := strings.TrimRight(ls[i], "\r")
			bad = append(bad, Finding{
				Finding:  analysis.Finding{Rule: analysis.RuleInvalidSuppression, Severity: e.Severity(analysis.RuleInvalidSuppression), Message: problem},
				Overlays: f.Overlays, By: f.By,
				At: Location{File: f.At.File, Line: i + 1, Column: utf8.RuneCountInString(line[:start]) + 1, EndLine: i + 1, EndColumn: utf8.RuneCountInString(line) + 1},
			})
		}
	}
	return nil, bad
}
