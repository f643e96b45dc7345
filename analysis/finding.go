package analysis

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kube-policy-ls/kube-policy-ls/analysis/fix"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"
)

// Severity ranks a finding. Info and Hint are below every rule severity: they mark notices
// (a skipped Helm template, an unused suppression) that never fail a build unless asked to.
type Severity int

// Severities, lowest first.
const (
	Hint Severity = iota
	Info
	Low
	Medium
	High
	Critical
)

var severityNames = []string{"hint", "info", "low", "medium", "high", "critical"}

func (s Severity) String() string {
	if int(s) < len(severityNames) {
		return severityNames[s]
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// ParseSeverity reads "critical", "high", "medium", "low", "info" or "hint".
func ParseSeverity(name string) (Severity, error) {
	if i := slices.Index(severityNames, strings.ToLower(name)); i >= 0 {
		return Severity(i), nil
	}
	return 0, fmt.Errorf("unknown severity %q (want critical, high, medium, low, info or hint)", name)
}

// MarshalText writes the severity's name, for JSON output and config.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a severity's name.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	*s = v
	return err
}

// Finding is one problem in a file.
type Finding struct {
	Rule     string
	Severity Severity
	Message  string
	Range    yamldoc.Range     // byte offsets in the file (in a DocResult: in the document)
	Object   yamldoc.ObjectRef // zero for findings about the text itself (syntax, limits)
	Path     []any             // object-relative JSON path the rule reported
	Doc      int               // index of the document in the file
	Item     []any             // where the object sits in its document (nil, or ["items", i])
	Fix      []fix.Op          // nil when the rule has no fix

	Suppressed *Suppression // why the finding is not reported; only in Result.Suppressed
}

// Fixable reports whether the finding carries a fix.
func (f *Finding) Fixable() bool { return len(f.Fix) > 0 }

func hasPrefix(path, prefix []any) bool {
	return len(prefix) <= len(path) && slices.EqualFunc(path[:len(prefix)], prefix, func(a, b any) bool { return a == b })
}

// sortFindings orders findings by position, then rule.
func sortFindings(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		if a.Range.Start != b.Range.Start {
			return a.Range.Start - b.Range.Start
		}
		return strings.Compare(a.Rule, b.Rule)
	})
}
