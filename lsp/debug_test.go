package lsp

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"
	"go.uber.org/zap"
)

// debugStateOf runs the debug command with args (nil: none) and decodes its result.
func (s *session) debugStateOf(args ...any) debugState {
	s.t.Helper()
	params := &protocol.ExecuteCommandParams{Command: cmdDebugState}
	for _, a := range args {
		raw, err := json.Marshal(a)
		if err != nil {
			s.t.Fatal(err)
		}
		params.Arguments = append(params.Arguments, raw)
	}
	res, err := s.server.ExecuteCommand(s.ctx(), params)
	if err != nil {
		s.t.Fatalf("%s: %v", cmdDebugState, err)
	}
	var st debugState
	if err := json.Unmarshal(res, &st); err != nil {
		s.t.Fatalf("%s result %s: %v", cmdDebugState, res, err)
	}
	return st
}

func sha(text string) string {
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:])
}

// TestDebugState: the command reports the server's view of every open document as the
// notifications before it left it (edits, a close), its goroutines and memory.
func TestDebugState(t *testing.T) {
	t.Parallel()
	s := newSession(t, sessionOptions{})
	if !slices.Contains(s.init.Capabilities.ExecuteCommandProvider.Commands, cmdDebugState) {
		t.Errorf("%s not advertised: %v", cmdDebugState, s.init.Capabilities.ExecuteCommandProvider.Commands)
	}
	a, b, c := uri.File("/work/debug/a.yaml"), uri.File("/work/debug/b.yaml"), uri.File("/work/debug/c.yaml")
	s.open(a, "yaml", "a: 1\n")
	s.open(b, "yaml", "é😀\r\nb: 2\n")
	s.open(c, "yaml", "c: 3\n")
	s.change(b, 2, partial(0, 1, 0, 3, "x")) // the emoji is two UTF-16 units
	s.change(b, 3, partial(1, 3, 1, 4, "42"))
	if err := s.server.DidClose(s.ctx(), &protocol.DidCloseTextDocumentParams{TextDocument: protocol.TextDocumentIdentifier{URI: c}}); err != nil {
		t.Fatal(err)
	}
	st := s.debugStateOf()
	want := []debugDocument{
		{URI: a, Version: 1, Bytes: 5, SHA256: sha("a: 1\n")},
		{URI: b, Version: 3, Bytes: len("éx\r\nb: 42\n"), SHA256: sha("éx\r\nb: 42\n")},
	}
	if !slices.Equal(st.Documents, want) {
		t.Errorf("documents %+v\nwant %+v", st.Documents, want)
	}
	if st.Goroutines <= 0 || st.HeapAlloc == 0 || st.GoroutineProfile != "" {
		t.Errorf("goroutines %d, heap %d, profile %d bytes", st.Goroutines, st.HeapAlloc, len(st.GoroutineProfile))
	}

	// An edit that does not fit: the document is out of sync, and says so.
	s.change(a, 2, partial(7, 0, 7, 0, "nowhere"))
	st = s.debugStateOf(debugStateArgs{FreeMemory: true, GoroutineProfile: true})
	if d := st.Documents[0]; d.URI != a || d.Version != 2 || !d.OutOfSync || d.SHA256 != sha("a: 1\n") {
		t.Errorf("after a refused edit: %+v", d)
	}
	if !strings.Contains(st.GoroutineProfile, "goroutine profile:") || !strings.Contains(st.GoroutineProfile, "lsp.(*outbox).run") {
		t.Errorf("goroutine profile lacks the outbox:\n%s", st.GoroutineProfile)
	}

	for _, bad := range [][]protocol.LSPAny{{protocol.LSPAny(`1`)}, {protocol.LSPAny(`{}`), protocol.LSPAny(`{}`)}} {
		if _, err := s.server.ExecuteCommand(s.ctx(), &protocol.ExecuteCommandParams{Command: cmdDebugState, Arguments: bad}); err == nil {
			t.Errorf("arguments %s accepted", bad)
		}
	}
}

func TestListenDebugLoopbackOnly(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{":0", "0.0.0.0:0", "[::]:0", "192.0.2.1:0", "example.com:0", "127.0.0.1"} {
		if _, stop, err := ListenDebug(addr, zap.NewNop()); err == nil {
			stop()
			t.Errorf("ListenDebug(%q) accepted a non-loopback address", addr)
		}
	}
	for _, addr := range []string{"127.0.0.1:0", "localhost:0"} {
		got, stop, err := ListenDebug(addr, zap.NewNop())
		if err != nil {
			t.Fatalf("ListenDebug(%q): %v", addr, err)
		}
		if !strings.HasPrefix(got, "127.0.0.1:") {
			t.Errorf("ListenDebug(%q) listens on %s", addr, got)
		}
		resp, err := http.Get("http://" + got + "/debug/pprof/goroutine?debug=1")
		if err != nil {
			stop()
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		stop()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "goroutine profile:") {
			t.Errorf("goroutine profile from %s: %s\n%s", got, resp.Status, body)
		}
		if _, err := http.Get("http://" + got + "/debug/pprof/"); err == nil {
			t.Errorf("%s still serves after stop", got)
		}
	}
}
