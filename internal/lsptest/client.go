// Package lsptest drives a built kube-policy-ls binary as an editor does: it starts
// `kube-policy-ls serve`, talks to it over the process's stdin and stdout with Content-Length
// framing, records the diagnostics it publishes and reads the process's resource use from
// /proc. The latency harness (tools/latency) and the soak test (tools/soak) share it; it lives
// outside lsp/ because it is a test client, not part of the server.
package lsptest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"
)

// Options configure Start.
type Options struct {
	Bin        string   // the server binary
	Args       []string // more flags for `serve`
	ClientName string   // clientInfo.name

	// InitializationOptions are sent as initializationOptions (JSON), if not empty.
	InitializationOptions string
	Capabilities          protocol.ClientCapabilities
	// Folder is the workspace folder (absolute), if not empty.
	Folder string

	// Stderr receives the server's stderr (its logs without DebugLog); nil: os.Stderr.
	Stderr io.Writer
	// DebugLog runs the server at --log-level debug with its log in a temporary file, for
	// ServerTimes.
	DebugLog bool
	// Lifetime bounds the whole session: the process is killed after it. 0: 10 minutes.
	Lifetime time.Duration
	// OnCall answers the server's requests (workspace/applyEdit, ...), on the connection's
	// read loop: it must not call the server. nil, or a nil result with a nil error: method
	// not found.
	OnCall func(method string, params json.RawMessage) (any, error)
	// OnNotify sees every notification but publishDiagnostics (logMessage, showMessage), on
	// the read loop.
	OnNotify func(method string, params json.RawMessage)
}

// Session is one server process and the client's connection to it.
type Session struct {
	Cmd         *exec.Cmd
	Conn        jsonrpc2.Conn
	Server      protocol.Server // sends to the server
	Ctx         context.Context // the session's lifetime
	Init        *protocol.InitializeResult
	Initialized time.Time // when the initialize reply arrived
	LogPath     string    // the server's debug log, with Options.DebugLog

	opts   Options
	cancel context.CancelFunc
	waited chan struct{} // closed when the process has exited
	err    error         // its exit status, once waited is closed

	mu   sync.Mutex
	got  map[uri.URI]*protocol.PublishDiagnosticsParams
	seen map[uri.URI]time.Time // when the latest publication of each document arrived
	wake chan struct{}
}

// Start runs the server, initializes it and sends initialized.
func Start(opts Options) (*Session, error) {
	if opts.Lifetime == 0 {
		opts.Lifetime = 10 * time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), opts.Lifetime)
	s := &Session{Ctx: ctx, opts: opts, cancel: cancel, waited: make(chan struct{}),
		got: map[uri.URI]*protocol.PublishDiagnosticsParams{}, seen: map[uri.URI]time.Time{}, wake: make(chan struct{}, 1)}
	args := append([]string{"serve"}, opts.Args...)
	if opts.DebugLog {
		logs, err := os.CreateTemp("", "kube-policy-ls-client-*.log")
		if err != nil {
			cancel()
			return nil, err
		}
		logs.Close()
		s.LogPath = logs.Name()
		args = append(args, "--log-level", "debug", "--log-file", s.LogPath)
	}
	s.Cmd = exec.CommandContext(ctx, opts.Bin, args...)
	s.Cmd.Stderr = opts.Stderr
	if s.Cmd.Stderr == nil {
		s.Cmd.Stderr = os.Stderr
	}
	stdin, err := s.Cmd.StdinPipe()
	if err != nil {
		cancel()
		return nil, err
	}
	stdout, err := s.Cmd.StdoutPipe()
	if err != nil {
		cancel()
		return nil, err
	}
	if err := s.Cmd.Start(); err != nil {
		cancel()
		return nil, err
	}
	go func() { s.err = s.Cmd.Wait(); close(s.waited) }()
	s.Conn = jsonrpc2.NewConn(jsonrpc2.NewStream(pipes{bufio.NewReader(stdout), stdin, stdout}), jsonrpc2.WithCodec(Codec{}))
	s.Conn.Go(ctx, s.handle)
	s.Server = protocol.ServerDispatcher(s.Conn)
	name := opts.ClientName
	if name == "" {
		name = "lsptest"
	}
	params := &protocol.InitializeParams{ClientInfo: protocol.ClientInfo{Name: name}, Capabilities: opts.Capabilities}
	if opts.InitializationOptions != "" {
		params.InitializationOptions = protocol.LSPAny(opts.InitializationOptions)
	}
	if opts.Folder != "" {
		params.WorkspaceFolders = protocol.NewNullable([]protocol.WorkspaceFolder{{URI: uri.File(opts.Folder), Name: filepath.Base(opts.Folder)}})
	}
	init, err := s.Server.Initialize(ctx, params)
	if err != nil {
		s.kill()
		return nil, fmt.Errorf("initialize: %w", err)
	}
	s.Init, s.Initialized = init, time.Now()
	if err := s.Server.Initialized(ctx, &protocol.InitializedParams{}); err != nil {
		s.kill()
		return nil, err
	}
	return s, nil
}

// Pid is the server process's id.
func (s *Session) Pid() int { return s.Cmd.Process.Pid }

// handle takes the server's messages in order, on the read loop, when they arrive.
func (s *Session) handle(_ context.Context, req *jsonrpc2.Request) (any, error) {
	params := json.RawMessage(bytes.Clone(req.Params()))
	if req.IsCall() {
		if s.opts.OnCall != nil {
			res, err := s.opts.OnCall(req.Method(), params)
			if res != nil || err != nil {
				return res, err
			}
		}
		return nil, jsonrpc2.ErrMethodNotFound
	}
	if req.Method() != protocol.MethodTextDocumentPublishDiagnostics {
		if s.opts.OnNotify != nil {
			s.opts.OnNotify(req.Method(), params)
		}
		return nil, nil
	}
	var p protocol.PublishDiagnosticsParams
	if err := (Codec{}).Unmarshal(params, &p); err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.got[p.URI] = &p
	s.seen[p.URI] = time.Now()
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return nil, nil
}

// Published is the latest publishDiagnostics of u and when it arrived, or nil.
func (s *Session) Published(u uri.URI) (*protocol.PublishDiagnosticsParams, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.got[u], s.seen[u]
}

// WaitVersion waits up to a minute for the diagnostics of version (or a later one) of u.
func (s *Session) WaitVersion(u uri.URI, version int32) ([]protocol.Diagnostic, error) {
	return s.WaitVersionWithin(u, version, time.Minute)
}

// WaitVersionWithin waits up to limit for the diagnostics of version (or a later one) of u.
func (s *Session) WaitVersionWithin(u uri.URI, version int32, limit time.Duration) ([]protocol.Diagnostic, error) {
	deadline := time.After(limit)
	for {
		s.mu.Lock()
		p := s.got[u]
		s.mu.Unlock()
		if p != nil {
			if v, _ := p.Version.Get(); v >= version {
				return p.Diagnostics, nil
			}
		}
		select {
		case <-s.wake:
		case <-s.waited:
			return nil, fmt.Errorf("the server exited (%v) before the diagnostics of version %d of %s", s.err, version, u)
		case <-deadline:
			return nil, fmt.Errorf("no diagnostics for version %d of %s", version, u)
		}
	}
}

// Exited is closed when the server process has ended.
func (s *Session) Exited() <-chan struct{} { return s.waited }

// Stop shuts the server down as an editor does (shutdown, exit), kills it if it has not
// exited after 5 seconds, and returns its exit status: nil for exit code 0.
func (s *Session) Stop() error {
	ctx, cancel := context.WithTimeout(s.Ctx, 5*time.Second)
	defer cancel()
	_, _ = s.Conn.Call(ctx, protocol.MethodShutdown, nil, nil)
	_ = s.Conn.Notify(ctx, protocol.MethodExit, nil)
	var err error
	select {
	case <-s.waited:
		err = s.err
	case <-time.After(5 * time.Second):
		err = errors.New("the server did not exit within 5 s of exit: killed")
		s.kill()
	}
	_ = s.Conn.Close()
	s.cancel()
	if s.LogPath != "" {
		_ = os.Remove(s.LogPath)
	}
	return err
}

func (s *Session) kill() {
	_ = s.Cmd.Process.Kill()
	<-s.waited
	_ = s.Conn.Close()
	s.cancel()
	if s.LogPath != "" {
		_ = os.Remove(s.LogPath)
	}
}

// ServerTimes reads the server's own times from its debug log (Options.DebugLog): for each
// publishDiagnostics of u after version 1, the time from the change's arrival to the
// diagnostics written; with analyses set, the time of each analysis of u after the first
// instead. u "" takes every document.
func (s *Session) ServerTimes(u uri.URI, analyses bool) []time.Duration {
	data, err := os.ReadFile(s.LogPath)
	if err != nil {
		return nil
	}
	var out []time.Duration
	first := map[string]bool{}
	for _, line := range strings.Split(string(data), "\n") {
		i := strings.IndexByte(line, '{')
		if i < 0 || (!strings.Contains(line, "\tpublished\t") && !strings.Contains(line, "\tanalysed\t")) {
			continue
		}
		var f struct {
			URI     string  `json:"uri"`
			Version int32   `json:"version"`
			Since   float64 `json:"sinceChangeMs"`
			Took    string  `json:"took"`
		}
		if json.Unmarshal([]byte(line[i:]), &f) != nil || (u != "" && f.URI != string(u)) {
			continue
		}
		switch {
		case !analyses && strings.Contains(line, "\tpublished\t") && f.Version > 1:
			out = append(out, time.Duration(f.Since*float64(time.Millisecond)))
		case analyses && strings.Contains(line, "\tanalysed\t"):
			if d, err := time.ParseDuration(f.Took); err == nil && first[f.URI] {
				out = append(out, d)
			}
			first[f.URI] = true
		}
	}
	return out
}

type pipes struct {
	io.Reader
	io.WriteCloser
	out io.Closer
}

func (p pipes) Close() error { return errors.Join(p.WriteCloser.Close(), p.out.Close()) }

// Codec decodes a copy of each frame: protocol.Unmarshal may alias its input.
type Codec struct{}

// Marshal encodes v with protocol's union-aware encoder; JSON already encoded goes as it is.
func (Codec) Marshal(v any) ([]byte, error) {
	switch m := v.(type) {
	case json.RawMessage:
		if m == nil {
			return []byte("null"), nil
		}
		return m, nil
	case jsonrpc2.RawMessage:
		if m == nil {
			return []byte("null"), nil
		}
		return m, nil
	}
	return protocol.Marshal(v)
}

// Unmarshal decodes a copy of data into v.
func (Codec) Unmarshal(data []byte, v any) error { return protocol.Unmarshal(bytes.Clone(data), v) }

// LogSize is the size of the server's debug log so far, for Analyses.
func (s *Session) LogSize() int64 {
	fi, err := os.Stat(s.LogPath)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// Analysis is one analysis the server logged: the document and its time.
type Analysis struct {
	URI  string
	Took time.Duration
}

// Analyses reads the analyses in the server's debug log from byte offset from on.
func (s *Session) Analyses(from int64) []Analysis {
	data, err := os.ReadFile(s.LogPath)
	if err != nil || from > int64(len(data)) {
		return nil
	}
	var out []Analysis
	for _, line := range strings.Split(string(data[from:]), "\n") {
		i := strings.IndexByte(line, '{')
		if i < 0 || !strings.Contains(line, "\tanalysed\t") {
			continue
		}
		var f struct {
			URI  string `json:"uri"`
			Took string `json:"took"`
		}
		if json.Unmarshal([]byte(line[i:]), &f) != nil {
			continue
		}
		if d, err := time.ParseDuration(f.Took); err == nil {
			out = append(out, Analysis{f.URI, d})
		}
	}
	return out
}
