package analysis

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"

	"go.yaml.in/yaml/v3"
)

// Suppression is why a finding is not reported (SPEC.md section 5).
type Suppression struct {
	By     string `json:"by"` // "annotation", "comment" or "terrascan"
	Reason string `json:"reason"`
}

// Rule ids for problems with suppressions themselves.
const (
	RuleInvalidSuppression = "invalid-suppression"
	RuleUnusedSuppression  = "unused-suppression"
)

// Suppression syntax.
const (
	annotationPrefix    = "ignore.kube-policy-ls.io/"
	terrascanAnnotation = "runterrascan.io/skip"
)

var (
	// "# kube-policy-ls ignore rule-a,rule-b -- reason"
	ignoreComment = regexp.MustCompile(`#\s*kube-policy-ls\s+ignore\s+([A-Za-z0-9_,\s-]*?)\s*(?:--\s*(.*?))?\s*$`)
	expiresSuffix = regexp.MustCompile(`^(.*?)\s*;\s*expires=(\S+)\s*$`)
)

// now is today's clock, replaced in tests.
var now = time.Now

// suppressor is one suppression written in a document.
type suppressor struct {
	by     string
	rules  []string // rule ids it silences
	reason string
	item   []any         // the object it applies to (an annotation); nil for comments
	lines  []int         // document-relative lines whose findings it covers (a comment)
	at     yamldoc.Range // where it is written, for its own diagnostics
	used   bool
}

// applySuppressions moves suppressed findings of a document out of fs and adds findings about
// the suppressions themselves (unknown rules, missing reasons, expiry, unused).
func (e *Engine) applySuppressions(d *yamldoc.Document, objs []yamldoc.Object, fs []Finding) (kept, suppressed []Finding) {
	if !strings.Contains(d.Text, "kube-policy-ls") && !strings.Contains(d.Text, terrascanAnnotation) {
		return fs, nil
	}
	var sups []*suppressor
	var problems []Finding
	problem := func(at yamldoc.Range, obj yamldoc.ObjectRef, item []any, sev Severity, rule, msg string) {
		problems = append(problems, Finding{Rule: rule, Severity: sev, Message: msg, Range: at, Object: obj, Item: item})
	}
	for _, obj := range objs {
		for _, a := range objectAnnotations(obj) {
			s, err := e.parseAnnotation(a.key, a.value)
			if s == nil {
				continue
			}
			s.item, s.at = obj.Path, d.PathRange(obj, a.path)
			if err != "" {
				problem(s.at, obj.Ref, obj.Path, e.Severity(RuleInvalidSuppression), RuleInvalidSuppression, err)
				continue
			}
			sups = append(sups, s)
		}
	}
	for line := range d.Mapper().LineCount() {
		s, at := parseIgnoreComment(d.Mapper().Line(line))
		if s == nil {
			continue
		}
		s.at, s.lines = yamldoc.Range{Start: d.Mapper().LineStart(line) + at, End: d.Mapper().LineEnd(line)}, []int{line, line + 1}
		if msg := e.checkSuppression(s); msg != "" {
			problem(s.at, yamldoc.ObjectRef{}, nil, e.Severity(RuleInvalidSuppression), RuleInvalidSuppression, msg)
			continue
		}
		sups = append(sups, s)
	}
	for _, f := range fs {
		if s := matchSuppression(sups, d, f); s != nil {
			s.used = true
			f.Suppressed = &Suppression{By: s.by, Reason: s.reason}
			suppressed = append(suppressed, f)
			continue
		}
		kept = append(kept, f)
	}
	for _, s := range sups {
		if !s.used && e.anyEnabled(s.rules) {
			problem(s.at, yamldoc.ObjectRef{}, s.item, e.Severity(RuleUnusedSuppression), RuleUnusedSuppression, unusedMessage(s.rules))
		}
	}
	return append(kept, problems...), suppressed
}

// parseIgnoreComment reads a "# kube-policy-ls ignore" comment in a line: the suppressor it
// writes (rules and reason, not yet checked) and the byte where it starts; nil when the line
// has none.
func parseIgnoreComment(line string) (*suppressor, int) {
	m := ignoreComment.FindStringSubmatchIndex(line)
	if m == nil {
		return nil, 0
	}
	s := &suppressor{by: "comment", rules: strings.FieldsFunc(line[m[2]:m[3]], func(r rune) bool { return r == ',' || r == ' ' })}
	if m[4] >= 0 {
		s.reason = strings.TrimSpace(line[m[4]:m[5]])
	}
	return s, m[0]
}

func unusedMessage(rules []string) string {
	return fmt.Sprintf("unused suppression: no %s finding here to suppress", strings.Join(rules, ", "))
}

// LineComment is a "# kube-policy-ls ignore" comment read in a line outside the analysed
// text, such as a kustomization's or a patch's, whose findings are placed on their lines
// after the analysis of the built objects: the analysis of a text reads its own comments.
type LineComment struct {
	Rules []string // the rules it names
	// Suppression is how it suppresses the findings of its rules on its line and the line
	// below; nil when it is not valid, and Problem says why (the message of an
	// invalid-suppression finding).
	Suppression *Suppression
	Problem     string
	Start       int // the byte of the line where it starts
	// Unused is the message of an unused-suppression finding, should it suppress nothing; ""
	// when it is not valid or none of its rules runs (it is waiting, not unused).
	Unused string
}

// LineComment reads the "# kube-policy-ls ignore" comment of line; nil when it has none.
func (e *Engine) LineComment(line string) *LineComment {
	s, at := parseIgnoreComment(line)
	if s == nil {
		return nil
	}
	c := &LineComment{Rules: s.rules, Start: at}
	if c.Problem = e.checkSuppression(s); c.Problem != "" {
		return c
	}
	c.Suppression = &Suppression{By: s.by, Reason: s.reason}
	if e.anyEnabled(s.rules) {
		c.Unused = unusedMessage(s.rules)
	}
	return c
}

func matchSuppression(sups []*suppressor, d *yamldoc.Document, f Finding) *suppressor {
	if f.Rule == RuleYAMLSyntax || f.Rule == RuleInvalidSuppression {
		return nil
	}
	line := d.Mapper().LineOf(f.Range.Start)
	for _, s := range sups {
		if !slices.Contains(s.rules, f.Rule) {
			continue
		}
		if s.by == "comment" && slices.Contains(s.lines, line) {
			return s
		}
		if s.by != "comment" && slices.Equal(s.item, f.Item) {
			return s
		}
	}
	return nil
}

// anyEnabled reports whether one of the rules runs: a suppression for a disabled rule is not
// "unused", it is waiting.
func (e *Engine) anyEnabled(ids []string) bool {
	for _, r := range e.enabled {
		if slices.Contains(ids, r.ID) {
			return true
		}
	}
	return false
}

// parseAnnotation reads one annotation; nil when it is not a suppression. A non-empty message
// says why the suppression is invalid.
func (e *Engine) parseAnnotation(key, value string) (*suppressor, string) {
	switch {
	case strings.HasPrefix(key, annotationPrefix):
		s := &suppressor{by: "annotation", rules: []string{strings.TrimPrefix(key, annotationPrefix)}, reason: strings.TrimSpace(value)}
		if m := expiresSuffix.FindStringSubmatch(value); m != nil {
			s.reason = strings.TrimSpace(m[1])
			expires, err := time.Parse("2006-01-02", m[2])
			if err != nil {
				return s, fmt.Sprintf("suppression %s: expires=%q is not a date (YYYY-MM-DD)", key, m[2])
			}
			if now().After(expires.Add(24 * time.Hour)) {
				return s, fmt.Sprintf("suppression of %s expired on %s: the finding is reported again", s.rules[0], m[2])
			}
		}
		return s, e.checkSuppression(s)
	case key == terrascanAnnotation:
		var skips []struct{ Rule, Comment string }
		if err := json.Unmarshal([]byte(value), &skips); err != nil {
			return &suppressor{by: "terrascan"}, fmt.Sprintf("%s: not a JSON list of {\"rule\", \"comment\"}: %v", key, err)
		}
		s := &suppressor{by: "terrascan"}
		var reasons []string
		for _, skip := range skips {
			for _, r := range e.catalog {
				if slices.Contains(r.Terrascan, skip.Rule) {
					s.rules = append(s.rules, r.ID)
				}
			}
			if skip.Comment != "" {
				reasons = append(reasons, skip.Comment)
			}
		}
		s.reason = strings.Join(reasons, "; ")
		if len(s.rules) == 0 {
			return nil, "" // Terrascan ids with no counterpart here: Terrascan's business
		}
		return s, ""
	}
	return nil, ""
}

// checkSuppression validates rule ids and the reason.
func (e *Engine) checkSuppression(s *suppressor) string {
	for _, id := range s.rules {
		if r, ok := e.byID[id]; !ok || r.Package == "" {
			return fmt.Sprintf("suppression names unknown rule %q%s", id, suggest(id, e.policyRuleIDs()))
		}
	}
	if len(s.rules) == 0 {
		return "suppression names no rule"
	}
	if s.reason == "" {
		if s.by == "comment" {
			return fmt.Sprintf("suppression of %s has no reason: add one after \"--\"", strings.Join(s.rules, ", "))
		}
		return fmt.Sprintf("suppression of %s has no reason: the annotation's value must say why", strings.Join(s.rules, ", "))
	}
	return ""
}

func (e *Engine) policyRuleIDs() []string {
	var ids []string
	for _, r := range e.catalog {
		if r.Package != "" {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

// annotation is one entry of a metadata.annotations mapping with its object-relative path.
type annotation struct {
	key, value string
	path       []any
}

// objectAnnotations finds the annotations of the object's metadata and of every metadata
// nested in it (pod templates, a CronJob's job template).
func objectAnnotations(obj yamldoc.Object) []annotation {
	var out []annotation
	var walk func(n *yaml.Node, path []any, depth int)
	walk = func(n *yaml.Node, path []any, depth int) {
		n = yamldoc.Deref(n)
		if n == nil || n.Kind != yaml.MappingNode || depth > 12 {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			child := append(slices.Clone(path), key)
			if key == "metadata" {
				if anns := yamldoc.MappingValue(n.Content[i+1], "annotations"); anns != nil && anns.Kind == yaml.MappingNode {
					for j := 0; j+1 < len(anns.Content); j += 2 {
						k, v := anns.Content[j].Value, yamldoc.Deref(anns.Content[j+1])
						if v != nil && v.Kind == yaml.ScalarNode && (strings.HasPrefix(k, annotationPrefix) || k == terrascanAnnotation) {
							out = append(out, annotation{k, v.Value, append(slices.Clone(child), "annotations", k)})
						}
					}
				}
				continue
			}
			if key == "spec" || key == "template" || key == "jobTemplate" {
				walk(n.Content[i+1], child, depth+1)
			}
		}
	}
	walk(obj.Node, nil, 0)
	return out
}
