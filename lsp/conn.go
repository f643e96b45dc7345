package lsp

// The connection wiring: the handler chain and the router. Everything that knows about
// go.lsp.dev/jsonrpc2 lives in this file and in frame.go (how the client's messages are read),
// so the library could be swapped without touching the handlers (DESIGN.md, "The LSP
// libraries"). protocol.NewServer is not used: it runs every message concurrently and applies
// didChange notifications out of order.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime/debug"
	"sync"
	"time"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"
	"go.uber.org/zap"
)

// Serve runs the language server on rwc (stdin and stdout, or one end of a pipe) until the
// client sends exit or closes the stream, and returns the exit code the protocol prescribes:
// 0 after shutdown and exit, 1 otherwise.
func Serve(ctx context.Context, rwc io.ReadWriteCloser, opts Options) int {
	return NewServer(opts).serve(ctx, rwc)
}

func (s *Server) serve(ctx context.Context, rwc io.ReadWriteCloser) int {
	conn := jsonrpc2.NewConn(newTolerantStream(rwc, s.log), jsonrpc2.WithCodec(codec{}))
	s.connect(conn, protocol.ClientDispatcher(conn))
	conn.Go(ctx, handler(s))
	select {
	case <-s.exited:
	case <-conn.Done():
		if err := conn.Err(); err != nil {
			s.log.Error("connection failed", zap.Error(err))
		}
	case <-ctx.Done():
	}
	s.stop()
	// Close waits for the read loop, which a blocking read of stdin may hold forever after
	// exit: give it a moment, then leave anyway (the process is about to end).
	closed := make(chan struct{})
	go func() { _ = conn.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(time.Second):
	}
	return s.exitCode()
}

// handler is the chain every incoming message goes through, outermost first:
//
//   - resilient: a panic, or a notification that fails (bad params, a handler error), becomes
//     a log line instead of ending the connection, as jsonrpc2 v1 otherwise does. It is
//     outermost so that a malformed $/cancelRequest is covered too.
//   - protocol.CancelHandler: $/cancelRequest cancels the context of the named request.
//   - initializeFirst: nothing read after initialize runs before it has returned.
//   - asyncCalls: requests run concurrently and can be cancelled; notifications stay inline, in
//     wire order, so that didOpen/didChange/didClose are applied exactly as sent.
//   - lifecycle: initialized, shutdown and exit, whose params may be absent or null; requests
//     before initialize or after shutdown; unknown methods.
//   - protocol.ServerHandler: decodes params and calls the router.
func handler(s *Server) jsonrpc2.Handler {
	return resilient(s, protocol.CancelHandler(initializeFirst(&s.initGate, asyncCalls(lifecycle(s, protocol.ServerHandler(router{s: s}, jsonrpc2.MethodNotFoundHandler))))))
}

func resilient(s *Server, next jsonrpc2.Handler) jsonrpc2.Handler {
	return func(ctx context.Context, req *jsonrpc2.Request) (result any, err error) {
		defer func() {
			if r := recover(); r != nil {
				s.log.Error("handler panicked", zap.String("method", req.Method()), zap.Any("panic", r), zap.ByteString("stack", debug.Stack()))
				result, err = nil, jsonrpc2.Errorf(jsonrpc2.InternalError, "kube-policy-ls: %s failed: %v", req.Method(), r)
			}
			if err != nil && !req.IsCall() {
				s.log.Warn("notification failed", zap.String("method", req.Method()), zap.Error(err))
				err = nil
			}
		}()
		return next(ctx, req)
	}
}

// asyncCalls releases requests from the read loop (jsonrpc2.Async, exactly once) before
// anything else runs: they may then call back into the client, and their pooled context may
// be derived from (CancelHandler does). Notifications are not released: they run inline.
func asyncCalls(next jsonrpc2.Handler) jsonrpc2.Handler {
	return func(ctx context.Context, req *jsonrpc2.Request) (any, error) {
		if req.IsCall() {
			jsonrpc2.Async(ctx)
		}
		return next(ctx, req)
	}
}

// initializeFirst holds every message read after initialize until initialize has returned:
// everything depends on its outcome, and a shutdown sent right behind it (by a client that
// does not wait for the reply) would otherwise race it and be refused as "before
// initialize". It runs on the read loop, before asyncCalls releases the request, so the
// gate's Add always happens before the Wait of a later message.
func initializeFirst(gate *sync.WaitGroup, next jsonrpc2.Handler) jsonrpc2.Handler {
	return func(ctx context.Context, req *jsonrpc2.Request) (any, error) {
		if req.Method() != protocol.MethodInitialize {
			gate.Wait()
			return next(ctx, req)
		}
		gate.Add(1)
		defer gate.Done()
		return next(ctx, req)
	}
}

func lifecycle(s *Server, next jsonrpc2.Handler) jsonrpc2.Handler {
	return func(ctx context.Context, req *jsonrpc2.Request) (any, error) {
		switch method := req.Method(); method {
		case protocol.MethodInitialized:
			s.initialized()
			return nil, nil
		case protocol.MethodShutdown:
			return nil, s.shutdown()
		case protocol.MethodExit:
			s.exit()
			return nil, nil
		default:
			if err := s.admit(method, req.IsCall()); err != nil {
				if req.IsCall() {
					return nil, err
				}
				return nil, nil
			}
		}
		return next(ctx, req)
	}
}

// router adapts the Server to protocol.Server for protocol.ServerHandler. Notification
// handlers get no context: theirs is pooled by jsonrpc2 and dies with the call.
type router struct {
	protocol.UnimplementedServer
	s *Server
}

func (r router) Initialize(ctx context.Context, p *protocol.InitializeParams) (*protocol.InitializeResult, error) {
	return r.s.initialize(ctx, p)
}

func (r router) DidOpen(_ context.Context, p *protocol.DidOpenTextDocumentParams) error {
	r.s.didOpen(p)
	return nil
}

func (r router) DidChange(_ context.Context, p *protocol.DidChangeTextDocumentParams) error {
	r.s.didChange(p)
	return nil
}

func (r router) DidSave(_ context.Context, p *protocol.DidSaveTextDocumentParams) error {
	r.s.didSave(p)
	return nil
}

func (r router) DidClose(_ context.Context, p *protocol.DidCloseTextDocumentParams) error {
	r.s.didClose(p)
	return nil
}

func (r router) DidChangeConfiguration(_ context.Context, p *protocol.DidChangeConfigurationParams) error {
	r.s.didChangeConfiguration(p)
	return nil
}

func (r router) DidChangeWatchedFiles(_ context.Context, p *protocol.DidChangeWatchedFilesParams) error {
	r.s.didChangeWatchedFiles(p)
	return nil
}

func (r router) Hover(ctx context.Context, p *protocol.HoverParams) (*protocol.Hover, error) {
	return r.s.hover(ctx, p)
}

func (r router) Diagnostic(ctx context.Context, p *protocol.DocumentDiagnosticParams) (protocol.DocumentDiagnosticReport, error) {
	return r.s.pullDiagnostics(ctx, p)
}

func (r router) DiagnosticWorkspace(ctx context.Context, p *protocol.WorkspaceDiagnosticParams) (*protocol.WorkspaceDiagnosticReport, error) {
	return r.s.workspaceDiagnostics(ctx, p)
}

func (r router) CodeAction(ctx context.Context, p *protocol.CodeActionParams) ([]protocol.CommandOrCodeAction, error) {
	actions, err := r.s.codeAction(ctx, p)
	if err != nil {
		return nil, err
	}
	out := make([]protocol.CommandOrCodeAction, len(actions))
	for i := range actions {
		out[i] = &actions[i]
	}
	return out, nil
}

func (r router) CodeActionResolve(ctx context.Context, p *protocol.CodeAction) (*protocol.CodeAction, error) {
	return r.s.resolveCodeAction(ctx, p)
}

func (r router) ExecuteCommand(ctx context.Context, p *protocol.ExecuteCommandParams) (protocol.LSPAny, error) {
	result, err := r.s.executeCommand(ctx, p)
	if err != nil {
		return nil, err
	}
	b, err := protocol.Marshal(result)
	if err != nil {
		return nil, fmt.Errorf("encoding the result of %s: %w", p.Command, err)
	}
	return protocol.LSPAny(b), nil
}

// handledMethods are the methods the router serves; lifecycle answers the others.
var handledMethods = map[string]bool{
	protocol.MethodInitialize:                         true,
	protocol.MethodTextDocumentDidOpen:                true,
	protocol.MethodTextDocumentDidChange:              true,
	protocol.MethodTextDocumentDidSave:                true,
	protocol.MethodTextDocumentDidClose:               true,
	protocol.MethodWorkspaceDidChangeConfiguration:    true,
	protocol.MethodWorkspaceDidChangeWatchedFiles:     true,
	protocol.MethodWorkspaceDidChangeWorkspaceFolders: true,
	protocol.MethodTextDocumentHover:                  true,
	protocol.MethodTextDocumentDiagnostic:             true,
	protocol.MethodWorkspaceDiagnostic:                true,
	protocol.MethodTextDocumentCodeAction:             true,
	protocol.MethodCodeActionResolve:                  true,
	protocol.MethodWorkspaceExecuteCommand:            true,
}

// codec encodes params and results with protocol's union-aware Marshal and Unmarshal.
type codec struct{}

func (codec) Marshal(v any) ([]byte, error) {
	switch m := v.(type) {
	case jsonrpc2.RawMessage:
		if m == nil {
			return []byte("null"), nil
		}
		return m, nil
	case json.RawMessage:
		if m == nil {
			return []byte("null"), nil
		}
		return m, nil
	}
	return protocol.Marshal(v)
}

func (codec) Unmarshal(data []byte, v any) error {
	switch p := v.(type) {
	case *jsonrpc2.RawMessage:
		*p = append(jsonrpc2.RawMessage(nil), data...)
		return nil
	case *json.RawMessage:
		*p = append(json.RawMessage(nil), data...)
		return nil
	}
	// data borrows the connection's read buffer, and protocol.Unmarshal lets some values (the
	// arms of a union at the root, such as a code action result) alias it: decode a copy.
	return protocol.Unmarshal(bytes.Clone(data), v)
}
