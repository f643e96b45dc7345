package lsp

import (
	"strings"
	"testing"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"
)

func (s *session) hoverAt(u uri.URI, line, char uint32) *protocol.Hover {
	s.t.Helper()
	h, err := s.server.Hover(s.ctx(), &protocol.HoverParams{TextDocumentPositionParams: protocol.TextDocumentPositionParams{
		TextDocument: protocol.TextDocumentIdentifier{URI: u}, Position: protocol.Position{Line: line, Character: char},
	}})
	if err != nil {
		s.t.Fatalf("hover: %v", err)
	}
	return h
}

func TestHoverExplainsTheRule(t *testing.T) {
	t.Parallel()
	s := newSession(t, sessionOptions{})
	u := uri.File("/work/hover.yaml")
	s.open(u, "yaml", podYAML)
	h := s.hoverAt(u, 5, 6) // inside "hostPID: true"
	if h == nil {
		t.Fatal("no hover on a flagged range")
	}
	mc, ok := h.Contents.(*protocol.MarkupContent)
	if !ok || mc.Kind != protocol.MarkupKindMarkdown {
		t.Fatalf("hover contents %T, want Markdown", h.Contents)
	}
	for _, want := range []string{
		"**Pods must not share the host PID namespace**", "`host-pid`", "high",
		"**What passes:**", "**Fix:**", "Pod Security Standards: `hostNamespaces`", "Terrascan: `AC_K8S_0082`",
		defaultDocsURL + "#host-pid",
	} {
		if !strings.Contains(mc.Value, want) {
			t.Errorf("hover lacks %q:\n%s", want, mc.Value)
		}
	}
	if h.Range == nil || h.Range.Start != (protocol.Position{Line: 5, Character: 2}) {
		t.Errorf("hover range %v, want the finding's", h.Range)
	}
	if h := s.hoverAt(u, 0, 3); h != nil {
		t.Errorf("hover on apiVersion, which no rule flags: %+v", h.Contents)
	}
	if h := s.hoverAt(uri.File("/work/not-open.yaml"), 0, 0); h != nil {
		t.Error("hover on a document that is not open")
	}
}

func TestHoverPlainTextForClientsWithoutMarkdown(t *testing.T) {
	t.Parallel()
	caps := protocol.ClientCapabilities{TextDocument: &protocol.TextDocumentClientCapabilities{
		Hover: &protocol.HoverClientCapabilities{ContentFormat: []protocol.MarkupKind{protocol.MarkupKindPlainText}},
	}}
	s := newSession(t, sessionOptions{caps: caps})
	u := uri.File("/work/plain.yaml")
	s.open(u, "yaml", podYAML)
	h := s.hoverAt(u, 5, 2)
	if h == nil {
		t.Fatal("no hover")
	}
	mc := h.Contents.(*protocol.MarkupContent)
	if mc.Kind != protocol.MarkupKindPlainText || strings.Contains(mc.Value, "**") || !strings.Contains(mc.Value, "AC_K8S_0082") {
		t.Errorf("plain text hover:\n%s", mc.Value)
	}
}
