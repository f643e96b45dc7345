package lsp

import (
	"slices"
	"testing"

	"go.lsp.dev/protocol"
)

func TestInitializeAdvertises(t *testing.T) {
	t.Parallel()
	s := newSession(t, sessionOptions{})
	c := s.init.Capabilities
	if c.PositionEncoding != protocol.PositionEncodingKindUTF16 {
		t.Errorf("position encoding %q, want utf-16 by default", c.PositionEncoding)
	}
	sync, ok := c.TextDocumentSync.(*protocol.TextDocumentSyncOptions)
	if !ok || !isTrue(sync.OpenClose) || sync.Change == nil || *sync.Change != protocol.TextDocumentSyncKindIncremental {
		t.Errorf("text sync %+v, want incremental with open and close", c.TextDocumentSync)
	}
	if save, ok := sync.Save.(*protocol.SaveOptions); !ok || !isTrue(save.IncludeText) {
		t.Errorf("save %+v, want the text included", sync.Save)
	}
	if c.HoverProvider != protocol.Boolean(true) {
		t.Errorf("hover provider %v", c.HoverProvider)
	}
	ca, ok := c.CodeActionProvider.(*protocol.CodeActionOptions)
	if !ok || !isTrue(ca.ResolveProvider) {
		t.Fatalf("code action provider %+v", c.CodeActionProvider)
	}
	for _, kind := range []protocol.CodeActionKind{"quickfix", "source.fixAll", "source.fixAll.kube-policy-ls"} {
		if !slices.Contains(ca.CodeActionKinds, kind) {
			t.Errorf("code action kinds %v lack %s", ca.CodeActionKinds, kind)
		}
	}
	// a chart file's change changes the diagnostics of the chart's other files, which a client
	// that pulls gets from workspace/diagnostic when it has not opened them
	if d, ok := c.DiagnosticProvider.(*protocol.DiagnosticOptions); !ok || !d.InterFileDependencies || !d.WorkspaceDiagnostics {
		t.Errorf("diagnostic provider %+v", c.DiagnosticProvider)
	}
	if !slices.Equal(c.ExecuteCommandProvider.Commands, commands) {
		t.Errorf("commands %v, want %v", c.ExecuteCommandProvider.Commands, commands)
	}
	if v, _ := s.init.ServerInfo.Version.Get(); s.init.ServerInfo.Name != "kube-policy-ls" || v != "test-version" {
		t.Errorf("server info %+v", s.init.ServerInfo)
	}
	if _, err := s.server.Initialize(s.ctx(), &protocol.InitializeParams{}); err == nil {
		t.Error("a second initialize succeeded")
	}
}
