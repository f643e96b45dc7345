package lsp

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
)

// docsAnchors are the anchors of docs/rules.md's headings, as GitHub makes them: lower case,
// punctuation other than - and _ dropped, spaces turned into dashes.
func docsAnchors(t *testing.T) map[string]bool {
	t.Helper()
	text, err := os.ReadFile(filepath.Join("..", "docs", "rules.md"))
	if err != nil {
		t.Fatal(err)
	}
	drop := regexp.MustCompile(`[^a-z0-9 _-]`)
	anchors := map[string]bool{}
	for _, line := range strings.Split(string(text), "\n") {
		if heading, ok := strings.CutPrefix(strings.TrimLeft(line, "#"), " "); ok && strings.HasPrefix(line, "#") {
			anchors[strings.ReplaceAll(drop.ReplaceAllString(strings.ToLower(heading), ""), " ", "-")] = true
		}
	}
	return anchors
}

// TestDocsLinksResolve: every rule documentation link the server can send, and every link it
// sends for a manifest with findings of many rules (diagnostics and hovers), points at a
// section of docs/rules.md, the file the default base URL names.
func TestDocsLinksResolve(t *testing.T) {
	t.Parallel()
	if !strings.HasSuffix(defaultDocsURL, "/docs/rules.md") {
		t.Fatalf("the default docs URL %s is not docs/rules.md", defaultDocsURL)
	}
	anchors := docsAnchors(t)
	check := func(link string) {
		t.Helper()
		base, anchor, ok := strings.Cut(link, "#")
		if !ok || base != defaultDocsURL || !anchors[anchor] {
			t.Errorf("link %s: no section #%s in docs/rules.md", link, anchor)
		}
	}
	e, err := analysis.NewEngine(context.Background(), analysis.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range e.Rules() {
		check(analysis.RuleDocURL(defaultDocsURL, r.ID))
	}

	s := newSession(t, sessionOptions{})
	u := uri.File("/work/links.yaml")
	s.open(u, "yaml", crowdedPod+"  hostPID: true\n  hostNetwork: true\n---\nkind: [\n")
	diags := s.diagnosticsAt(u, 1)
	if len(diags) < 10 {
		t.Fatalf("%d diagnostics, want findings of many rules", len(diags))
	}
	link := regexp.MustCompile(`\]\(([^)]+)\)`)
	for _, d := range diags {
		check(string(d.CodeDescription.Href))
		h := s.hoverAt(u, d.Range.Start.Line, d.Range.Start.Character)
		if h == nil {
			t.Errorf("no hover at %v", d.Range.Start)
			continue
		}
		for _, m := range link.FindAllStringSubmatch(h.Contents.(*protocol.MarkupContent).Value, -1) {
			check(m[1])
		}
	}
}

// TestDocsURLSetting: docsUrl moves every link, in diagnostics and in hovers; a URL that is
// not one is refused.
func TestDocsURLSetting(t *testing.T) {
	t.Parallel()
	const mirror = "file:///opt/kube-policy-ls/docs/rules.md"
	s := newSession(t, sessionOptions{initOpts: map[string]any{"docsUrl": mirror}})
	u := uri.File("/work/mirror.yaml")
	s.open(u, "yaml", podYAML)
	d := diagnosticOn(t, s.diagnosticsAt(u, 1), "host-pid", 5)
	if href := string(d.CodeDescription.Href); href != mirror+"#host-pid" {
		t.Errorf("codeDescription %s, want the mirror's", href)
	}
	if h := s.hoverAt(u, 5, 6); h == nil || !strings.Contains(h.Contents.(*protocol.MarkupContent).Value, "("+mirror+"#host-pid)") {
		t.Errorf("hover does not link to the mirror: %+v", h)
	}
	for _, bad := range []string{"docs/rules.md", "https://example.com/rules.md#x", "javascript:alert(1)"} {
		if _, err := parseSettings([]byte(`{"docsUrl": "` + bad + `"}`)); err == nil {
			t.Errorf("docsUrl %q accepted", bad)
		}
	}
}
