package lsp

import (
	"fmt"
	"strings"
	"testing"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"
)

const flickerPod = `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  hostPID: true
  hostNetwork: true
  containers:
  - name: app
    image: nginx:1.27
    securityContext:
      privileged: true
`

// staleLines lists "rule@line/lastValidVersion" for the diagnostics of the given rules.
func staleLines(diags []protocol.Diagnostic, rules ...string) string {
	var out []string
	for _, d := range diags {
		data, _ := decodeDiagnosticData(d)
		for _, r := range rules {
			if data.Rule == r {
				out = append(out, fmt.Sprintf("%s@%d/%d", r, d.Range.Start.Line, data.LastValidVersion))
			}
		}
	}
	return strings.Join(out, " ")
}

// TestNoFlickerWhileTheTextDoesNotParse: a syntax error keeps the findings of the last
// version that parsed, outside the edited region and shifted with the edits, marked with that
// version; the first version that parses again replaces them.
func TestNoFlickerWhileTheTextDoesNotParse(t *testing.T) {
	t.Parallel()
	s := newSession(t, sessionOptions{initOpts: map[string]any{"debounceMs": 0}})
	u := uri.File("/work/flicker.yaml")
	s.open(u, "yaml", flickerPod)
	rules := []string{"host-pid", "host-network", "privileged-container"}
	if got := staleLines(s.diagnosticsAt(u, 1), rules...); got != "host-pid@5/0 host-network@6/0 privileged-container@11/0" {
		t.Fatalf("version 1: %s", got)
	}

	// A stray line that does not parse, above the container.
	s.change(u, 2, partial(7, 0, 7, 0, "  x: [\n"))
	diags := s.diagnosticsAt(u, 2)
	if _, ok := find(diags, analysis.RuleYAMLSyntax); !ok {
		t.Fatalf("no syntax error in %v", codes(diags))
	}
	if got := staleLines(diags, rules...); got != "host-pid@5/1 host-network@6/1 privileged-container@12/1" {
		t.Errorf("version 2 (broken): %s", got)
	}
	for _, d := range diags {
		if data, _ := decodeDiagnosticData(d); data.LastValidVersion != 0 && d.Range.Start.Line == 7 {
			t.Errorf("%s kept on the edited line", data.Rule)
		}
	}

	// Typing on: the findings follow every edit, from the last text, not only the last valid one.
	s.change(u, 3, partial(0, 0, 0, 0, "# a comment\n"))
	if got := staleLines(s.diagnosticsAt(u, 3), rules...); got != "host-pid@6/1 host-network@7/1 privileged-container@13/1" {
		t.Errorf("version 3 (broken, a line added on top): %s", got)
	}
	// An edit of a finding's own text drops it: it may no longer hold.
	s.change(u, 4, partial(13, 21, 13, 22, ""))
	if got := staleLines(s.diagnosticsAt(u, 4), rules...); got != "host-pid@6/1 host-network@7/1" {
		t.Errorf("version 4 (privileged: tru): %s", got)
	}

	// It parses again: fresh findings only.
	s.change(u, 5, partial(8, 0, 9, 0, ""), partial(12, 21, 12, 21, "e"))
	diags = s.diagnosticsAt(u, 5)
	if _, ok := find(diags, analysis.RuleYAMLSyntax); ok {
		t.Fatalf("still a syntax error: %v", codes(diags))
	}
	if got := staleLines(diags, rules...); got != "host-pid@6/0 host-network@7/0 privileged-container@12/0" {
		t.Errorf("version 5 (parses): %s", got)
	}
}

func TestShiftFindings(t *testing.T) {
	t.Parallel()
	old := "aaaa XXXX bbbb"
	f := func(start, end int) analysis.Finding {
		return analysis.Finding{Range: yamldoc.Range{Start: start, End: end}}
	}
	fs := []analysis.Finding{f(0, 4), f(5, 9), f(10, 14)}
	got := shiftFindings(fs, old, "aaaa XXYYXX bbbb")
	if len(got) != 2 || got[0].Range != (yamldoc.Range{Start: 0, End: 4}) || got[1].Range != (yamldoc.Range{Start: 12, End: 16}) {
		t.Errorf("insertion inside the middle finding: %+v", got)
	}
	if got := shiftFindings(fs, old, "aaaaX XXXX bbbb"); len(got) != 2 || got[0].Range.Start != 6 {
		t.Errorf("an edit touching the first finding's end: %+v", got)
	}
	if got := shiftFindings(fs, old, old); len(got) != 3 {
		t.Errorf("no edit: %+v", got)
	}
}
