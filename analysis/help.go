package analysis

import (
	"fmt"
	"strings"
)

// RulesDocURL is where each rule's documentation lives (docs/rules.md); the rule id is the
// anchor.
const RulesDocURL = "https://github.com/kube-policy-ls/kube-policy-ls/blob/main/docs/rules.md"

// RuleDocURL is the link to rule id's section of the documentation under base (the editor's
// docsUrl setting), or under RulesDocURL when base is "".
func RuleDocURL(base, id string) string {
	if base == "" {
		base = RulesDocURL
	}
	return base + "#" + id
}

// HelpOptions select how Rule.Help writes a rule's help.
type HelpOptions struct {
	Markdown bool     // Markdown, else plain text
	Severity Severity // the severity to show: the configured one, or the rule's own
	Link     bool     // end with a link to the rule's documentation
	DocsBase string   // the documentation the link points into; "" is RulesDocURL
}

// Help is the rule's explanation, the one text behind hover, SARIF rule help and
// docs/rules.md: title, id and severity, why it matters, what passes, the fix, the profiles
// and the ids it maps to, the kinds it reads and the rules it supersedes.
func (r Rule) Help(o HelpOptions) string {
	code := func(list []string) string {
		if !o.Markdown {
			return strings.Join(list, ", ")
		}
		quoted := make([]string, len(list))
		for i, s := range list {
			quoted[i] = "`" + s + "`"
		}
		return strings.Join(quoted, ", ")
	}
	var b strings.Builder
	if o.Markdown {
		fmt.Fprintf(&b, "**%s**\n\n`%s` · %s", r.Title, r.ID, o.Severity)
	} else {
		fmt.Fprintf(&b, "%s\n%s (%s)", r.Title, r.ID, o.Severity)
	}
	if r.Description != "" {
		b.WriteString("\n\n" + r.Description)
	}
	for _, s := range [][2]string{{"What passes:", r.Passes}, {"Fix:", r.Fix}} {
		if s[1] == "" {
			continue
		}
		if o.Markdown {
			fmt.Fprintf(&b, "\n\n**%s** %s", s[0], s[1])
		} else {
			fmt.Fprintf(&b, "\n\n%s %s", s[0], s[1])
		}
	}
	var refs []string
	for _, ref := range []struct {
		label string
		list  []string
	}{
		{"Profiles", r.Profiles}, {"Pod Security Standards", r.PSS}, {"Terrascan", r.Terrascan},
		{"Reads", r.Kinds}, {"Supersedes", r.Supersedes},
	} {
		if len(ref.list) > 0 {
			refs = append(refs, ref.label+": "+code(ref.list))
		}
	}
	if len(refs) > 0 {
		b.WriteString("\n\n" + strings.Join(refs, " · "))
	}
	if o.Link {
		if o.Markdown {
			fmt.Fprintf(&b, "\n\n[Rule documentation](%s)", RuleDocURL(o.DocsBase, r.ID))
		} else {
			b.WriteString("\n\n" + RuleDocURL(o.DocsBase, r.ID))
		}
	}
	return b.String()
}
