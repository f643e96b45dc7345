package lsp

import (
	"context"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"
)

// commands are the server's own commands (workspace/executeCommand), advertised in
// initialize.
var commands = []string{}

// codeAction answers textDocument/codeAction. The diagnostics in p.Context carry
// diagnosticData; s.snapshot gives the document's latest analysis.
func (s *Server) codeAction(ctx context.Context, p *protocol.CodeActionParams) ([]protocol.CodeAction, error) {
	return nil, nil
}

// resolveCodeAction fills in the edit of a code action returned without one.
func (s *Server) resolveCodeAction(ctx context.Context, a *protocol.CodeAction) (*protocol.CodeAction, error) {
	return a, nil
}

// executeCommand runs one of the server's commands.
func (s *Server) executeCommand(ctx context.Context, p *protocol.ExecuteCommandParams) (any, error) {
	return nil, jsonrpc2.Errorf(jsonrpc2.InvalidParams, "unknown command %q", p.Command)
}
