package lsp

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"
)

// crowdedPod's container entry line (line 5) carries every missing-field finding of the
// container; the sidecar has fewer.
const crowdedPod = `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: web
    image: nginx:1.27
  - name: sidecar
    image: busybox:1.36
    securityContext: {readOnlyRootFilesystem: true}
`

// findingsOnLine are the diagnostics that start on a line.
func findingsOnLine(diags []protocol.Diagnostic, line uint32) []protocol.Diagnostic {
	var out []protocol.Diagnostic
	for _, d := range diags {
		if d.Range.Start.Line == line {
			out = append(out, d)
		}
	}
	return out
}

func TestHoverOnACrowdedLine(t *testing.T) {
	t.Parallel()
	s := newSession(t, sessionOptions{})
	u := uri.File("/work/crowded.yaml")
	s.open(u, "yaml", crowdedPod)
	on := findingsOnLine(s.diagnosticsAt(u, 1), 5)
	if len(on) < 5 {
		t.Fatalf("%d findings on the container's line, want a crowd", len(on))
	}
	h := s.hoverAt(u, 5, 5)
	if h == nil {
		t.Fatal("no hover")
	}
	text := h.Contents.(*protocol.MarkupContent).Value
	lines := strings.Split(text, "\n")
	if len(lines) != len(on) {
		t.Errorf("%d hover lines for %d findings:\n%s", len(lines), len(on), text)
	}
	for _, d := range on {
		code := string(d.Code.(protocol.String))
		link := "[`" + code + "`](" + analysis.RuleDocURL(defaultDocsURL, code) + ")"
		if n := strings.Count(text, link); n != 1 {
			t.Errorf("%s linked %d times, want once:\n%s", d.Code, n, text)
		}
	}
	if strings.Contains(text, "What passes") {
		t.Errorf("full rule docs where no one rule is under the cursor:\n%s", text)
	}
}

func TestNarrowestRuleUnderTheCursor(t *testing.T) {
	t.Parallel()
	wide := yamldoc.Range{Start: 0, End: 20}
	fs := []analysis.Finding{{Rule: "a", Range: wide}, {Rule: "b", Range: wide}, {Rule: "c", Range: yamldoc.Range{Start: 5, End: 8}}}
	if got := narrowest(fs, 6); got != "c" {
		t.Errorf("inside the narrow one: %q, want c", got)
	}
	if got := narrowest(fs, 12); got != "" {
		t.Errorf("only the two wide ones: %q, want none", got)
	}
	if got := narrowest(fs[:1], 12); got != "a" {
		t.Errorf("one finding: %q, want a", got)
	}
}

func TestCodeActionsOnACrowdedLine(t *testing.T) {
	t.Parallel()
	s, client := newEditSession(t, vscodeCaps)
	u := uri.File("/work/crowded.yaml")
	s.open(u, "yaml", crowdedPod)
	diags := s.diagnosticsAt(u, 1)
	on := findingsOnLine(diags, 5)
	actions := s.codeActions(u, on[0].Range, on, protocol.CodeActionKindQuickFix)
	titles := actionTitles(actions)
	web := 0 // the fixable findings of container web, on its line or elsewhere
	res := analyzeDirect(t, analysis.Config{}, crowdedPod)
	for _, f := range res.Findings {
		if f.Fixable() && res.Container(f) == `container "web"` {
			web++
		}
	}
	if want := fmt.Sprintf(`Fix all %d problems in container "web"`, web); len(titles) == 0 || titles[0] != want {
		t.Fatalf("first action %q, want %q", titles, want)
	}
	if !slices.ContainsFunc(titles[1:], func(s string) bool { return strings.HasPrefix(s, "Set readOnlyRootFilesystem: true") }) {
		t.Errorf("per-rule fixes do not follow: %q", titles)
	}
	got := runFixAllCommand(t, s, client, actions[0].Command, crowdedPod, u)
	sidecarLeft := 0
	res = analyzeDirect(t, analysis.Config{}, got)
	for _, f := range res.Findings {
		switch {
		case f.Fixable() && res.Container(f) == `container "web"`:
			t.Errorf("fixable finding of web left: %s %s", f.Rule, f.Message)
		case f.Fixable() && res.Container(f) == `container "sidecar"`:
			sidecarLeft++
		}
	}
	if sidecarLeft == 0 {
		t.Errorf("the container's fix-all fixed the sidecar too:\n%s", got)
	}
}
