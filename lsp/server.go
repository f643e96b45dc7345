// Package lsp is the language server: it keeps the client's open documents, analyses them with
// package analysis as they change, and answers with diagnostics, hovers and code actions.
package lsp

import (
	"context"
	"encoding/json"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"
	"go.uber.org/zap"

	"github.com/kube-policy-ls/kube-policy-ls/analysis/workspace"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"
)

// Name is the server's name in serverInfo and the source of its diagnostics.
const Name = "kube-policy-ls"

// Options configure a Server.
type Options struct {
	Logger  *zap.Logger // nil: no logging
	Version string      // reported in serverInfo
}

// Server is the state of one client connection.
//
// Request handlers (every one runs on its own goroutine, released from the read loop, with a
// cancellable ctx) read a document with s.snapshot(ctx, uri): it returns the document's latest
// text, version, language id and Mapper, the analysis.Result of exactly that text and the
// Engine that produced it (waiting for the analysis, or starting it at once), or nil when the
// document is not open. Snapshot.Result is nil for a document that is not checked (another
// language, an excluded path, a config file). s.encoding() is the negotiated position
// encoding, for Snapshot.Mapper and Result.Mapper; s.capabilities() the client's
// capabilities; s.client calls the client (from a request handler or a goroutine, never from
// a notification handler, which would deadlock the read loop). A diagnostic's data decodes
// with decodeDiagnosticData, and findFinding finds its analysis.Finding in a Result.
// Notification handlers get no context: jsonrpc2 recycles it when they return.
//
// Engines are per scope, owned by the workspace (analysis/workspace, config.go): the workspace
// folder that holds a document and the .kube-policy.yaml that governs it, merged with the
// editor's settings (settings.go). A change of either rebuilds the engines it concerns at once
// and analyses their documents again (reanalyseLocked); watch.go hears of changed files. Custom policies' problems are published
// on their .rego files (policy_diagnostics.go).
type Server struct {
	log     *zap.Logger
	version string

	ctx    context.Context // the server's life: background analyses derive from it
	cancel context.CancelFunc

	conn   jsonrpc2.Conn
	client protocol.Client

	mu    sync.Mutex // guards everything below, and the documents' fields
	state serverState
	caps  protocol.ClientCapabilities
	enc   yamldoc.Encoding
	pull  bool // the client pulls diagnostics: publish none
	docs  map[uri.URI]*document
	// assemblies are the charts and overlays with a member open, or opened since, by root
	// (assembly.go)
	assemblies map[string]*assembly
	// shownFiles are the diagnostics last published on files that are not open, that
	// shared assemblies have findings on (overlay_publish.go)
	shownFiles map[string][]byte
	settings   settingsState
	cfgFiles   configFileState
	exitOnce   sync.Once
	exited     chan struct{}
	initGate   sync.WaitGroup // an initialize in flight: later messages wait (conn.go, asyncCalls)

	ws     *workspace.Workspace // the workspace folders, configuration and engines (config.go)
	out    *outbox              // publishDiagnostics, in order, off the handlers' goroutines
	policy *policyProblems      // the custom policies' problems, published on their files
	watch  watchState           // the file watcher registered with the client, pending policy reloads

	// beforeAssemblyCheck, when set (by tests), is called as each check of an assembly
	// starts, on its goroutine, with the check's context.
	beforeAssemblyCheck func(ctx context.Context, root string)
	// overlayBudget is overlaySaveOnly, but for tests that make every overlay slow.
	overlayBudget time.Duration
	overlays      overlayIndex // the overlay roots and the files they read (kustomize.go)
	settleTimer   *time.Timer  // the pause after which analyses release what typing kept (settle.go)
	settlePause   time.Duration
}

type serverState int

const (
	uninitialized serverState = iota
	running
	shutDown
)

// NewServer returns a server that is not connected yet; Serve connects and runs it.
func NewServer(opts Options) *Server {
	log := opts.Logger
	if log == nil {
		log = zap.NewNop()
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		log:           log,
		version:       opts.Version,
		ctx:           ctx,
		cancel:        cancel,
		docs:          map[uri.URI]*document{},
		assemblies:    map[string]*assembly{},
		shownFiles:    map[string][]byte{},
		overlayBudget: overlaySaveOnly,
		settlePause:   settleAfter,
		cfgFiles:      configFileState{pushed: map[string]bool{}, applyTimers: map[string]*time.Timer{}},
		exited:        make(chan struct{}),
		out:           newOutbox(),
		policy:        newPolicyProblems(),
	}
	s.ws = s.newWorkspace()
	return s
}

func (s *Server) connect(conn jsonrpc2.Conn, client protocol.Client) {
	s.conn, s.client = conn, client
	go s.out.run(s.ctx, s.sendDiagnostics)
}

// codeActionKinds are the kinds of code action the server offers.
var codeActionKinds = []protocol.CodeActionKind{
	protocol.CodeActionKindQuickFix,
	protocol.CodeActionKindSourceFixAll,
	protocol.CodeActionKind("source.fixAll." + Name),
}

func (s *Server) initialize(_ context.Context, p *protocol.InitializeParams) (*protocol.InitializeResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != uninitialized {
		return nil, jsonrpc2.Errorf(jsonrpc2.InvalidRequest, "initialize was already called")
	}
	s.state = running
	s.caps = p.Capabilities
	s.enc = yamldoc.UTF16
	posEnc := protocol.PositionEncodingKindUTF16
	if g := p.Capabilities.General; g != nil && slices.Contains(g.PositionEncodings, protocol.PositionEncodingKindUTF8) {
		s.enc, posEnc = yamldoc.UTF8, protocol.PositionEncodingKindUTF8
	}
	s.pull = p.Capabilities.TextDocument != nil && p.Capabilities.TextDocument.Diagnostic != nil
	roots := workspaceRoots(p)
	s.ws.SetFolders(roots)
	if len(p.InitializationOptions) > 0 {
		if set, err := parseSettings(p.InitializationOptions); err != nil {
			s.log.Warn("initializationOptions ignored", zap.Error(err))
			go s.showMessage(protocol.MessageTypeWarning, "kube-policy-ls: initializationOptions ignored: "+err.Error())
		} else {
			s.settings.editor, s.settings.init = set, set
			s.ws.SetOverlay(set.Config)
		}
	}
	s.log.Info("initialize", zap.String("client", p.ClientInfo.Name), zap.Strings("roots", roots),
		zap.String("positionEncoding", string(posEnc)), zap.Bool("pullDiagnostics", s.pull))
	// Build the engines of the workspace folders while the client opens its files: their
	// custom policies' problems are published from the start.
	for _, root := range roots {
		s.ws.Prepare(s.ws.ScopeOfDir(root))
	}
	change := protocol.TextDocumentSyncKindIncremental
	return &protocol.InitializeResult{
		Capabilities: protocol.ServerCapabilities{
			PositionEncoding: posEnc,
			TextDocumentSync: &protocol.TextDocumentSyncOptions{
				OpenClose: ptr(true),
				Change:    &change,
				// The text on save puts the document back in step after an edit that did
				// not fit it (see text_sync.go).
				Save: &protocol.SaveOptions{IncludeText: ptr(true)},
			},
			HoverProvider:      protocol.Boolean(true),
			CodeActionProvider: &protocol.CodeActionOptions{CodeActionKinds: codeActionKinds, ResolveProvider: ptr(true)},
			// a change of a chart file changes the diagnostics of the chart's other files
			DiagnosticProvider:     &protocol.DiagnosticOptions{Identifier: ptr(Name), InterFileDependencies: true, WorkspaceDiagnostics: true},
			ExecuteCommandProvider: protocol.ExecuteCommandOptions{Commands: slices.Clone(commands)},
			Workspace: &protocol.WorkspaceOptions{WorkspaceFolders: &protocol.WorkspaceFoldersServerCapabilities{
				Supported: ptr(true), ChangeNotifications: protocol.Boolean(true),
			}},
		},
		ServerInfo: protocol.ServerInfo{Name: Name, Version: protocol.NewOptional(s.version)},
	}, nil
}

// initialized registers for configuration and config file changes and fetches the
// configuration, on a goroutine: both are requests to the client.
func (s *Server) initialized() {
	s.mu.Lock()
	ok := s.state == running
	caps := s.caps
	s.mu.Unlock()
	if ok {
		s.goSafe("initialized", func() { s.afterInitialized(caps) })
		s.goSafe("polling", s.pollFiles)
	}
}

func (s *Server) afterInitialized(caps protocol.ClientCapabilities) {
	ws := caps.Workspace
	if ws == nil {
		return
	}
	var regs []protocol.Registration
	if d := ws.DidChangeConfiguration; d != nil && isTrue(d.DynamicRegistration) {
		regs = append(regs, protocol.Registration{ID: "kubePolicy.configuration", Method: protocol.MethodWorkspaceDidChangeConfiguration,
			RegisterOptions: jsonValue(map[string]any{"section": configSection})})
	}
	if len(regs) > 0 || s.canWatch() {
		s.watch.regMu.Lock()
		if s.canWatch() {
			regs = append(regs, s.watchRegistrationLocked())
		}
		ctx, cancel := context.WithTimeout(s.ctx, clientCallTimeout)
		if err := s.client.RegisterCapability(ctx, &protocol.RegistrationParams{Registrations: regs}); err != nil {
			s.log.Warn("client/registerCapability failed", zap.Error(err))
		}
		cancel()
		s.watch.regMu.Unlock()
	}
	if isTrue(ws.Configuration) {
		s.fetchConfiguration()
	}
	// Policy directories outside the workspace folders found meanwhile.
	s.updateWatchers()
}

// goSafe runs f on a goroutine, turning a panic into a log line: background work on what a
// client sent must not end the server.
func (s *Server) goSafe(what string, f func()) {
	go func() {
		defer func() {
			if p := recover(); p != nil {
				s.log.Error(what+" panicked", zap.Any("panic", p), zap.ByteString("stack", debug.Stack()))
			}
		}()
		f()
	}()
}

// clientCallTimeout bounds the server's own requests to the client.
const clientCallTimeout = 10 * time.Second

func (s *Server) shutdown() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch s.state {
	case uninitialized:
		return jsonrpc2.Errorf(jsonrpc2.ServerNotInitialized, "shutdown before initialize")
	case shutDown:
		return nil
	}
	s.state = shutDown
	for _, d := range s.docs {
		d.stopLocked()
	}
	s.stopAssembliesLocked()
	s.log.Info("shutdown")
	return nil
}

func (s *Server) exit() {
	s.log.Info("exit")
	s.exitOnce.Do(func() { close(s.exited) })
}

// exitCode is 0 when the client shut the server down before it ended, 1 otherwise.
func (s *Server) exitCode() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state == shutDown {
		return 0
	}
	return 1
}

// stop ends all background work.
func (s *Server) stop() {
	s.cancel()
	s.mu.Lock()
	for _, d := range s.docs {
		d.stopLocked()
	}
	s.stopAssembliesLocked()
	s.mu.Unlock()
}

// admit decides whether a message may be handled in the server's state: nothing but
// initialize and exit before initialize, nothing but exit after shutdown, and only the
// methods the server implements. Dropped notifications are logged.
func (s *Server) admit(method string, isCall bool) error {
	s.mu.Lock()
	state := s.state
	s.mu.Unlock()
	var err error
	switch {
	case state == uninitialized && method != protocol.MethodInitialize:
		err = jsonrpc2.Errorf(jsonrpc2.ServerNotInitialized, "%s before initialize", method)
	case state == shutDown:
		err = jsonrpc2.Errorf(jsonrpc2.InvalidRequest, "%s after shutdown", method)
	case !handledMethods[method]:
		err = jsonrpc2.Errorf(jsonrpc2.MethodNotFound, "method not found: %s", method)
	}
	if err != nil && !isCall {
		if len(method) > 2 && method[:2] == "$/" {
			s.log.Debug("notification ignored", zap.String("method", method), zap.Error(err))
		} else {
			s.log.Info("notification ignored", zap.String("method", method), zap.Error(err))
		}
	}
	return err
}

func (s *Server) encoding() yamldoc.Encoding {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.enc
}

func (s *Server) capabilities() protocol.ClientCapabilities {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.caps
}

// logToClient logs a line and shows it in the client's log (window/logMessage).
func (s *Server) logToClient(level protocol.MessageType, msg string) {
	switch level {
	case protocol.MessageTypeError:
		s.log.Error(msg)
	case protocol.MessageTypeWarning:
		s.log.Warn(msg)
	default:
		s.log.Info(msg)
	}
	if s.client != nil {
		_ = s.client.LogMessage(s.ctx, &protocol.LogMessageParams{Type: level, Message: msg})
	}
}

// showMessage shows msg to the user (window/showMessage).
func (s *Server) showMessage(level protocol.MessageType, msg string) {
	if s.client != nil {
		_ = s.client.ShowMessage(s.ctx, &protocol.ShowMessageParams{Type: level, Message: msg})
	}
}

func workspaceRoots(p *protocol.InitializeParams) []string {
	var roots []string
	if folders, ok := p.WorkspaceFolders.Get(); ok {
		for _, f := range folders {
			if path := uriPath(f.URI); path != "" {
				roots = append(roots, path)
			}
		}
	}
	// Clients that send no workspace folders send rootUri, or only rootPath.
	//lint:ignore SA1019 the fallback for those clients
	if rootURI := p.RootURI; len(roots) == 0 && rootURI != nil {
		if path := uriPath(*rootURI); path != "" {
			roots = append(roots, path)
		}
	}
	//lint:ignore SA1019 the fallback for those clients
	if path, ok := p.RootPath.Get(); len(roots) == 0 && ok && path != "" {
		roots = append(roots, path)
	}
	return roots
}

// uriPath is the file system path of a file: URI, "" for other schemes.
func uriPath(u uri.URI) string {
	if !u.IsFile() {
		return ""
	}
	return u.FsPath()
}

func ptr[T any](v T) *T { return &v }

func isTrue(b *bool) bool { return b != nil && *b }

// jsonValue encodes a static value (maps, slices and strings: it cannot fail) as LSPAny.
func jsonValue(v any) protocol.LSPAny {
	b, _ := json.Marshal(v)
	return b
}
