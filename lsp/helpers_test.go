package lsp

import (
	"context"
	"encoding/json"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
)

// waitTimeout bounds every wait for the server: it detects a hang, nothing else. It is
// generous because `make test` runs every package's tests at once under the race detector on
// two shared cores, where analysing the 400-document file of TestEditCancelsStaleAnalysis twice
// took over 20 s. Budgets are measured by the latency harness, not here.
const waitTimeout = 90 * time.Second

// testClient is the editor's side of an in-process session: it records what the server sends
// and answers its requests.
type testClient struct {
	protocol.UnimplementedClient

	mu            sync.Mutex
	published     []*protocol.PublishDiagnosticsParams
	logs          []string
	shown         []string
	registrations []protocol.Registration
	configuration json.RawMessage // the answer to workspace/configuration
	configAsked   int
	refreshes     int
	wake          chan struct{}
}

func newTestClient() *testClient {
	return &testClient{wake: make(chan struct{}, 1)}
}

func (c *testClient) changed() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *testClient) PublishDiagnostics(_ context.Context, p *protocol.PublishDiagnosticsParams) error {
	c.mu.Lock()
	c.published = append(c.published, p)
	c.mu.Unlock()
	c.changed()
	return nil
}

func (c *testClient) LogMessage(_ context.Context, p *protocol.LogMessageParams) error {
	c.mu.Lock()
	c.logs = append(c.logs, p.Message)
	c.mu.Unlock()
	c.changed()
	return nil
}

func (c *testClient) ShowMessage(_ context.Context, p *protocol.ShowMessageParams) error {
	c.mu.Lock()
	c.shown = append(c.shown, p.Message)
	c.mu.Unlock()
	c.changed()
	return nil
}

func (c *testClient) RegisterCapability(_ context.Context, p *protocol.RegistrationParams) error {
	c.mu.Lock()
	c.registrations = append(c.registrations, p.Registrations...)
	c.mu.Unlock()
	c.changed()
	return nil
}

func (c *testClient) Configuration(_ context.Context, p *protocol.ConfigurationParams) ([]protocol.LSPAny, error) {
	c.mu.Lock()
	defer c.changed()
	defer c.mu.Unlock()
	c.configAsked++
	out := make([]protocol.LSPAny, len(p.Items))
	for i := range out {
		out[i] = protocol.LSPAny("null")
		if len(c.configuration) > 0 {
			out[i] = protocol.LSPAny(c.configuration)
		}
	}
	return out, nil
}

func (c *testClient) DiagnosticRefresh(context.Context) error {
	c.mu.Lock()
	c.refreshes++
	c.mu.Unlock()
	c.changed()
	return nil
}

// waitFor waits until cond, checked under the client's lock, holds.
func (c *testClient) waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(waitTimeout)
	for {
		c.mu.Lock()
		ok := cond()
		c.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-c.wake:
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// latest returns the last diagnostics published for u, or nil. Called with c.mu held.
func (c *testClient) latestLocked(u uri.URI) *protocol.PublishDiagnosticsParams {
	for i := len(c.published) - 1; i >= 0; i-- {
		if c.published[i].URI == u {
			return c.published[i]
		}
	}
	return nil
}

// session is an in-process client connected to a server over net.Pipe, with the production
// wiring (Server.serve).
type session struct {
	t      testing.TB
	srv    *Server
	client *testClient
	conn   jsonrpc2.Conn
	server protocol.Server // sends to the server
	logs   *observer.ObservedLogs
	code   chan int // Server.serve's exit code
	init   *protocol.InitializeResult
}

type sessionOptions struct {
	caps      protocol.ClientCapabilities
	initOpts  any
	root      string // workspace folder
	configure func(*testClient)
}

func newSession(t testing.TB, opts sessionOptions) *session {
	t.Helper()
	core, logs := observer.New(zapcore.DebugLevel)
	srv := NewServer(Options{Logger: zap.New(core), Version: "test-version"})
	a, b := net.Pipe()
	s := &session{t: t, srv: srv, client: newTestClient(), logs: logs, code: make(chan int, 1)}
	if opts.configure != nil {
		opts.configure(s.client)
	}
	go func() { s.code <- srv.serve(context.Background(), a) }()
	s.conn = jsonrpc2.NewConn(jsonrpc2.NewStream(b), jsonrpc2.WithCodec(codec{}))
	// The client answers the server's requests concurrently and takes notifications in order.
	s.conn.Go(context.Background(), asyncCalls(protocol.ClientHandler(s.client, jsonrpc2.MethodNotFoundHandler)))
	s.server = protocol.ServerDispatcher(s.conn)
	t.Cleanup(s.close)

	params := &protocol.InitializeParams{Capabilities: opts.caps}
	if opts.initOpts != nil {
		raw, err := json.Marshal(opts.initOpts)
		if err != nil {
			t.Fatal(err)
		}
		params.InitializationOptions = raw
	}
	if opts.root != "" {
		params.WorkspaceFolders = protocol.NewNullable([]protocol.WorkspaceFolder{{URI: uri.File(opts.root), Name: "test"}})
	}
	res, err := s.server.Initialize(s.ctx(), params)
	if err != nil {
		t.Fatalf("initialize: %v", err)
	}
	s.init = res
	if err := s.server.Initialized(s.ctx(), &protocol.InitializedParams{}); err != nil {
		t.Fatalf("initialized: %v", err)
	}
	return s
}

func (s *session) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	s.t.Cleanup(cancel)
	return ctx
}

// close ends the session as an editor does, unless the test already did.
func (s *session) close() {
	select {
	case <-s.code:
		_ = s.conn.Close()
		return
	default:
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	_ = s.server.Shutdown(ctx)
	_ = s.server.Exit(ctx)
	select {
	case <-s.code:
	case <-ctx.Done():
		s.t.Error("server did not exit")
	}
	_ = s.conn.Close()
}

// barrier returns once the server has handled every message sent before it: notifications are
// handled in order, before the next message is read.
func (s *session) barrier() {
	s.t.Helper()
	_, err := s.conn.Call(s.ctx(), "kube-policy-ls/test-barrier", nil, nil)
	if err == nil || !strings.Contains(err.Error(), "method not found") {
		s.t.Fatalf("barrier: want method not found, got %v", err)
	}
}

func (s *session) open(u uri.URI, languageID, text string) {
	s.t.Helper()
	if err := s.server.DidOpen(s.ctx(), &protocol.DidOpenTextDocumentParams{TextDocument: protocol.TextDocumentItem{
		URI: u, LanguageID: protocol.LanguageKind(languageID), Version: 1, Text: text,
	}}); err != nil {
		s.t.Fatal(err)
	}
}

func (s *session) change(u uri.URI, version int32, changes ...protocol.TextDocumentContentChangeEvent) {
	s.t.Helper()
	if err := s.server.DidChange(s.ctx(), &protocol.DidChangeTextDocumentParams{
		TextDocument:   protocol.VersionedTextDocumentIdentifier{TextDocumentIdentifier: protocol.TextDocumentIdentifier{URI: u}, Version: version},
		ContentChanges: changes,
	}); err != nil {
		s.t.Fatal(err)
	}
}

// notify sends a raw notification.
func (s *session) notify(method string, params any) {
	s.t.Helper()
	if err := s.conn.Notify(s.ctx(), method, params); err != nil {
		s.t.Fatal(err)
	}
}

// diagnosticsAt waits for the diagnostics of version of u and returns them.
func (s *session) diagnosticsAt(u uri.URI, version int32) []protocol.Diagnostic {
	s.t.Helper()
	var got *protocol.PublishDiagnosticsParams
	s.client.waitFor(s.t, "diagnostics of "+string(u)+" version "+strconv.Itoa(int(version)), func() bool {
		got = s.client.latestLocked(u)
		v, ok := versionOf(got)
		return ok && v >= version
	})
	if v, _ := versionOf(got); v != version {
		s.t.Fatalf("diagnostics of %s: version %d, want %d", u, v, version)
	}
	return got.Diagnostics
}

// waitDiagnostics waits until the latest diagnostics of u satisfy cond.
func (s *session) waitDiagnostics(u uri.URI, what string, cond func([]protocol.Diagnostic) bool) []protocol.Diagnostic {
	s.t.Helper()
	var got *protocol.PublishDiagnosticsParams
	s.client.waitFor(s.t, what, func() bool {
		got = s.client.latestLocked(u)
		return got != nil && cond(got.Diagnostics)
	})
	return got.Diagnostics
}

// documentText is the server's text of an open document.
func (s *session) documentText(u uri.URI) string {
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	d := s.srv.docs[u]
	if d == nil {
		return "<not open>"
	}
	return d.mapper.Text()
}

func (s *session) logged(msg string) bool {
	return s.logs.FilterMessageSnippet(msg).Len() > 0
}

func versionOf(p *protocol.PublishDiagnosticsParams) (int32, bool) {
	if p == nil {
		return 0, false
	}
	return p.Version.Get()
}

// codes returns the rule ids of diags, sorted.
func codes(diags []protocol.Diagnostic) []string {
	out := make([]string, 0, len(diags))
	for _, d := range diags {
		if c, ok := d.Code.(protocol.String); ok {
			out = append(out, string(c))
		}
	}
	slices.Sort(out)
	return out
}

func hasCode(diags []protocol.Diagnostic, code string) bool {
	return slices.Contains(codes(diags), code)
}

func find(diags []protocol.Diagnostic, code string) (protocol.Diagnostic, bool) {
	for _, d := range diags {
		if c, ok := d.Code.(protocol.String); ok && string(c) == code {
			return d, true
		}
	}
	return protocol.Diagnostic{}, false
}

func messageOf(d protocol.Diagnostic) string {
	if m, ok := d.Message.(protocol.String); ok {
		return string(m)
	}
	return ""
}

func partial(startLine, startChar, endLine, endChar uint32, text string) *protocol.TextDocumentContentChangePartial {
	return &protocol.TextDocumentContentChangePartial{
		Range: protocol.Range{Start: protocol.Position{Line: startLine, Character: startChar}, End: protocol.Position{Line: endLine, Character: endChar}},
		Text:  text,
	}
}

func whole(text string) *protocol.TextDocumentContentChangeWholeDocument {
	return &protocol.TextDocumentContentChangeWholeDocument{Text: text}
}

// analyzeDirect is what the engine says of text, to compare the server's diagnostics with.
func analyzeDirect(t *testing.T, cfg analysis.Config, text string) *analysis.Result {
	t.Helper()
	e, err := analysis.NewEngine(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Analyze(context.Background(), analysis.Input{Path: "direct.yaml", Text: text}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res
}
