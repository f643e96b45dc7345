package kustomize

import (
	"slices"
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
// invalid-suppression finding on its line. Then every comment of the overlay's fragments
// (its kustomizations and patch files, which are not checked as manifests) is read: one that
// is not valid is an invalid-suppression finding, one that covers no placed finding of its
// rules an unused-suppression finding (which Merge keeps only when every overlay that reads
// the file has it).
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
	var kept []Finding
	for _, f := range out.Findings {
		if f.By != ByResource && f.At.File != "" && f.At.Line > 0 {
			f.Suppressed = commentAt(e, linesOf(f.At.File), f)
		}
		if f.Suppressed != nil {
			out.Suppressed = append(out.Suppressed, f)
			continue
		}
		kept = append(kept, f)
	}
	// the comments that are not valid, or suppress nothing: a placed finding's file is a
	// fragment, so its comments are among those read here
	out.Findings = append(kept, b.fragmentComments(e, kept, out.Suppressed)...)
}

// fragmentComments reads the comments of every fragment of the overlay, in the text it was
// built from: the invalid-suppression findings of those that are not valid and the
// unused-suppression findings of those that cover none of the placed findings (reported or
// suppressed). An overlay with problems (a remote base, an entry left out) calls no comment
// unused: what it did not build may be what the comment is for.
func (b *Built) fragmentComments(e *analysis.Engine, placed ...[]Finding) []Finding {
	whole := len(b.Problems) == 0
	type at struct {
		file string
		line int // 0-based
		rule string
	}
	var covered map[at]bool
	var out []Finding
	for _, file := range b.Files {
		by, text := b.fragment(file)
		if !strings.Contains(text, "kube-policy-ls") {
			continue
		}
		if covered == nil {
			covered = map[at]bool{}
			for _, fs := range placed {
				for _, f := range fs {
					// a comment covers its line and the line below
					covered[at{f.At.File, f.At.Line - 1, f.Rule}] = true
					covered[at{f.At.File, f.At.Line - 2, f.Rule}] = true
				}
			}
		}
		for i, line := range strings.Split(text, "\n") {
			c := e.LineComment(line)
			if c == nil {
				continue
			}
			rule, msg := analysis.RuleInvalidSuppression, c.Problem
			if msg == "" {
				if !whole || c.Unused == "" || slices.ContainsFunc(c.Rules, func(r string) bool { return covered[at{file, i, r}] }) {
					continue
				}
				rule, msg = analysis.RuleUnusedSuppression, c.Unused
			}
			out = append(out, Finding{
				Finding:  analysis.Finding{Rule: rule, Severity: e.Severity(rule), Message: msg},
				Overlays: []string{b.Root}, By: by, At: commentLocation(file, i, line, c.Start),
			})
		}
	}
	return out
}

// fragment is what a file is to the overlay, with its text: "kustomization", or the field of
// the patch entry that reads it; "" for a file that is not a fragment or a patch left out of
// the build (it suppresses nothing because it writes nothing).
func (b *Built) fragment(file string) (by, text string) {
	if !b.Fragment(file) {
		return "", ""
	}
	for _, k := range b.nodes {
		if k.File == file {
			return "kustomization", k.Text
		}
	}
	for _, w := range b.Writers {
		if w.Src != nil && w.Src.File == file && w.Src.lineBase < 0 {
			return w.Field, w.Src.Text
		}
	}
	return "", ""
}

// commentAt reads the comments of f's rule on its line and the line above (ls are the lines
// of its file): how one suppresses f, nil for none. Those that are not valid are reported by
// fragmentComments.
func commentAt(e *analysis.Engine, ls []string, f Finding) *analysis.Suppression {
	for _, i := range []int{f.At.Line - 1, f.At.Line - 2} {
		if i < 0 || i >= len(ls) {
			continue
		}
		if c := e.LineComment(ls[i]); c != nil && c.Suppression != nil && slices.Contains(c.Rules, f.Rule) {
			return c.Suppression
		}
	}
	return nil
}

// commentLocation is where a comment starting at byte start of line i (0-based) of file is:
// to the end of the line, in code points.
func commentLocation(file string, i int, line string, start int) Location {
	line = strings.TrimRight(line, "\r")
	return Location{File: file, Line: i + 1, Column: utf8.RuneCountInString(line[:start]) + 1, EndLine: i + 1, EndColumn: utf8.RuneCountInString(line) + 1}
}
