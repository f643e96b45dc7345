package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
)

// frame is one message in the base protocol's framing.
func frame(msg string) string {
	return fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(msg), msg)
}

// watchedOutput collects what the server writes, from any goroutine, and closes seen once it
// holds want.
type watchedOutput struct {
	mu   sync.Mutex
	b    strings.Builder
	want string
	seen chan struct{}
	once sync.Once
}

func newWatchedOutput(want string) *watchedOutput {
	return &watchedOutput{want: want, seen: make(chan struct{})}
}

func (w *watchedOutput) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.b.Write(p)
	if w.want != "" && strings.Contains(w.b.String(), w.want) {
		w.once.Do(func() { close(w.seen) })
	}
	return len(p), nil
}

func (w *watchedOutput) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// lspSession runs the command args (none: the bare binary) through a whole client session,
// as an editor talks to it: initialize, initialized and shutdown, then exit once shutdown has
// been answered. It reports whether shutdown was answered. A client that closes the stream
// right behind its last request loses the answer (go.lsp.dev/jsonrpc2 writes nothing once the
// read side has ended), which is why the exit waits.
func lspSession(t *testing.T, args ...string) (code int, stdout, stderr string, answered bool) {
	t.Helper()
	in, feed := io.Pipe()
	out, errOut := newWatchedOutput(`"id":2`), newWatchedOutput("")
	done := make(chan int, 1)
	go func() { done <- run(args, in, out, errOut) }()
	go func() {
		_, _ = io.WriteString(feed, frame(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}`)+
			frame(`{"jsonrpc":"2.0","method":"initialized","params":{}}`)+
			frame(`{"jsonrpc":"2.0","id":2,"method":"shutdown"}`))
	}()
	select {
	case <-out.seen:
		answered = true
		go func() {
			_, _ = io.WriteString(feed, frame(`{"jsonrpc":"2.0","method":"exit"}`))
			_ = feed.Close()
		}()
		code = <-done
	case code = <-done: // ended without answering shutdown
	}
	_ = feed.Close()
	return code, out.String(), errOut.String(), answered
}

// TestServeLogLevel: by default the server writes warnings and errors only to stderr (some
// editors show every stderr line as an error); --log-level info and debug still work.
func TestServeLogLevel(t *testing.T) {
	code, out, stderr, answered := lspSession(t, "serve")
	if code != 0 || !answered {
		t.Fatalf("serve: exit %d, shutdown answered %v, stdout %q", code, answered, out)
	}
	if strings.Contains(stderr, "INFO") {
		t.Errorf("info lines on stderr by default:\n%s", stderr)
	}
	code, _, stderr, _ = lspSession(t, "serve", "--log-level", "info")
	if code != 0 || !strings.Contains(stderr, "INFO") || !strings.Contains(stderr, "initialize") {
		t.Errorf("--log-level info: exit %d, stderr:\n%s", code, stderr)
	}
}
