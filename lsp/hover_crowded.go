package lsp

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
)

// A container's entry line carries up to eight missing-field findings, all with the same
// range: their full rule docs would make a hover of some eighty lines. crowdedLine lists the
// line's findings one per line instead (severity, rule id linked to its documentation,
// message) and names the rule whose docs follow: the one finding under the cursor that is
// narrower than all the others, if there is one.
func crowdedLine(snap *Snapshot, off int, markdown bool, docs string) ([]string, string) {
	res := snap.Result
	line := snap.Mapper.LineOf(off)
	var here []analysis.Finding
	for _, f := range res.Findings {
		covers := f.Range.Start <= off && off <= f.Range.End
		if covers || snap.Mapper.LineOf(f.Range.Start) == line {
			here = append(here, f)
		}
	}
	sort.SliceStable(here, func(i, j int) bool { return here[i].Severity > here[j].Severity })

	var b strings.Builder
	for _, f := range here {
		if markdown {
			fmt.Fprintf(&b, "- **%s** [`%s`](%s): %s\n", f.Severity, f.Rule, analysis.RuleDocURL(docs, f.Rule), escapeMarkdown(f.Message))
		} else {
			fmt.Fprintf(&b, "- %s %s: %s\n", f.Severity, f.Rule, f.Message)
		}
	}
	if !markdown {
		b.WriteString(docs + "\n") // the one link: plain text has no inline links
	}
	return []string{strings.TrimSuffix(b.String(), "\n")}, narrowest(here, off)
}

// narrowest is the rule of the finding under off with the smallest range, "" when two or more
// rules share that range (then no one rule is under the cursor).
func narrowest(fs []analysis.Finding, off int) string {
	rule, width, tie := "", -1, false
	for _, f := range fs {
		if off < f.Range.Start || off > f.Range.End {
			continue
		}
		w := f.Range.End - f.Range.Start
		switch {
		case width < 0 || w < width:
			rule, width, tie = f.Rule, w, false
		case w == width && f.Rule != rule:
			tie = true
		}
	}
	if tie {
		return ""
	}
	return rule
}

// escapeMarkdown keeps a finding's message literal in Markdown (field names hold `*` and `_`).
var escapeMarkdown = strings.NewReplacer(`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "<", `\<`).Replace
