package lsp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.lsp.dev/jsonrpc2"
)

// Regression tests for what fuzzing the reader found: jsonrpc2's header stream reads a header
// line of any length into memory, and allocates the body a header declares (up to 1 GiB)
// before a byte of it arrives. The server's frameReader bounds both.

// TestHeaderLineWithoutEnd: a header line that never ends ends the connection after
// maxHeaderLine bytes, instead of filling the memory.
func TestHeaderLineWithoutEnd(t *testing.T) {
	t.Parallel()
	c := newRawClient(t)
	c.send(rawInitialize)
	c.wantResult("2")
	go func() {
		_, _ = io.WriteString(c.conn, "Content-Length: ")
		chunk := strings.Repeat("1", 64<<10)
		for range 1024 { // 64 MiB: the server stops reading long before
			if _, err := io.WriteString(c.conn, chunk); err != nil {
				return
			}
		}
	}()
	if code := c.exitCode(); code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
}

// TestDeclaredLengthIsNotAllocated: a header that declares nearly 1 GiB (over the limit) or
// 60 MiB (under it), followed by a few bytes and the end of the stream, costs memory for the
// bytes that came.
func TestDeclaredLengthIsNotAllocated(t *testing.T) {
	// Not parallel: it measures the process's allocations.
	for _, declared := range []string{"1073741823", "62914560"} {
		input := "Content-Length: " + declared + "\r\n\r\n" + `{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{}}`
		r := newFrameReader(strings.NewReader(input))
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, _, err := r.next()
		runtime.ReadMemStats(&after)
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("a truncated body: %v, want io.ErrUnexpectedEOF", err)
		}
		if got := after.TotalAlloc - before.TotalAlloc; got > 16<<20 {
			t.Errorf("reading 60 bytes of a frame that declares %s bytes allocated %d MiB", declared, got>>20)
		}
	}
}

// TestFrameReaderAgreesWithJSONRPC2: where jsonrpc2's own framer reads frames, the server's
// reads the same ones; where it differs, it is by design.
func TestFrameReaderAgreesWithJSONRPC2(t *testing.T) {
	t.Parallel()
	for _, input := range []string{
		"Content-Length: 2\r\n\r\n{}",
		"content-length:2\n\n{}Content-Length:\t3 \r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n[1]",
		"Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}}",
		"Content-Length: 0002\r\n\r\n{}",
		"X: y\r\nContent-Length: 1\r\n\r\n1",
		"Content-Length: 2\r\n\r\n{}Content-Length: 5\r\n\r\n{}",
	} {
		compareFramers(t, []byte(input))
	}
	for input, want := range map[string]error{
		"Content-Length: 0\r\n\r\n":                                        nil, // an empty frame, answered as malformed; jsonrpc2 ends
		"Content-Length: " + strings.Repeat("1", 5000):                     errHeader,
		"Content-Length: 1\r\n" + strings.Repeat("A: b\r\n", 40) + "\r\n1": errHeader,
		"Content-Length: +1\r\n\r\n1":                                      errHeader,
		"Content-Length: 2147483648\r\n\r\n":                               errHeader,
		"Content-Length 1\r\n\r\n1":                                        errHeader,
		"Content-Type: x\r\n\r\n":                                          errHeader,
		"Content-Length: 1\r\n":                                            io.ErrUnexpectedEOF,
		"":                                                                 io.EOF,
	} {
		_, _, err := newFrameReader(strings.NewReader(input)).next()
		if !errors.Is(err, want) {
			t.Errorf("%.40q: %v, want %v", input, err, want)
		}
	}
}

// FuzzFrameReader compares the server's frameReader with jsonrpc2's header stream on
// arbitrary bytes (raw) or on bodies framed correctly (framed: split at NUL).
func FuzzFrameReader(f *testing.F) {
	fuzzSeedsJSONRPC(f)
	f.Fuzz(func(t *testing.T, data []byte, framed bool) {
		if framed {
			var stream []byte
			for _, body := range bytes.Split(data, []byte{0}) {
				stream = append(stream, frame(string(body))...)
			}
			data = stream
		}
		compareFramers(t, data)
	})
}

// bigNumber is a Content-Length that jsonrpc2 would allocate more than a few MiB for.
var bigNumber = regexp.MustCompile(`[0-9]{7}`)

// compareFramers reads data with both framers in step. While jsonrpc2 reads frames the
// server's reader must read the same (but for the limits); after either stops, the server's
// must still end, within as many calls as data has bytes.
func compareFramers(t *testing.T, data []byte) {
	t.Helper()
	ours := newFrameReader(bytes.NewReader(data))
	var ref interface {
		ReadFrame(context.Context) ([]byte, int64, error)
	}
	if !bigNumber.Match(data) { // jsonrpc2 would allocate what the header says
		ref, _ = jsonrpc2.NewStream(nopCloser{bytes.NewReader(data)}).(interface {
			ReadFrame(context.Context) ([]byte, int64, error)
		})
	}
	for range len(data) + 2 {
		body, n, err := ours.next()
		var big *oversizedError
		if err == nil && len(body) > maxMessageBytes || errors.As(err, &big) && big.length <= maxMessageBytes {
			t.Fatalf("frame of %d bytes, %v: the limit is %d", len(body), err, maxMessageBytes)
		}
		if ref != nil {
			rbody, rn, rerr := ref.ReadFrame(context.Background())
			switch {
			case rerr != nil:
				ref = nil // jsonrpc2 ends its connection here; the server may read on
			case err != nil && !errors.Is(err, errHeader):
				t.Fatalf("jsonrpc2 read a frame of %d bytes (%q), the server's reader failed: %v", rn, rbody[:min(len(rbody), 80)], err)
			case err != nil:
				ref = nil // a header past the server's limits
			case !bytes.Equal(body, rbody) || n != rn:
				t.Fatalf("frames differ: %q (%d bytes on the wire) and jsonrpc2's %q (%d)", body, n, rbody, rn)
			}
		}
		if err != nil {
			return
		}
	}
	t.Fatalf("the reader did not end within %d calls on %d bytes", len(data)+2, len(data))
}

type nopCloser struct{ io.Reader }

func (nopCloser) Write(p []byte) (int, error) { return len(p), nil }
func (nopCloser) Close() error                { return nil }

// TestOversizedMessages: a message over maxMessageBytes is skipped without being held in
// memory. A request gets an error; a notification is dropped and the user told; a dropped
// didChange leaves the document out of sync rather than silently behind. The connection goes
// on.
func TestOversizedMessages(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("sends 200 MiB")
	}
	c := newRawClient(t)
	c.send(rawInitialize)
	c.wantResult("2")
	c.send(`{"jsonrpc":"2.0","method":"initialized","params":{}}`)
	c.send(`{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///o/a.yaml","languageId":"yaml","version":1,"text":"a: 1\n"}}}`)
	huge := strings.Repeat("x", maxMessageBytes)

	c.send(`{"jsonrpc":"2.0","id":70,"method":"textDocument/hover","params":{"textDocument":{"uri":"file:///o/a.yaml"},"position":{"line":0,"character":0},"padding":"` + huge + `"}}`)
	if m := c.response("70"); m.Error == nil || m.Error.Code != int64(jsonrpc2.InvalidRequest) {
		t.Errorf("an oversized request: %+v, want an InvalidRequest error", m.Error)
	}

	c.send(`{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"file:///o/a.yaml","version":2},"contentChanges":[{"text":"` + huge + `"}]}}`)
	if msg := c.showMessage(); !strings.Contains(msg, "file:///o/a.yaml") || !strings.Contains(msg, "over the limit of 64 MiB") || !strings.Contains(msg, "didChange") {
		t.Errorf("an oversized didChange: the user is told %q", msg)
	}
	c.send(`{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///o/b.yaml","languageId":"yaml","version":1,"text":"` + huge + `"}}}`)
	if msg := c.showMessage(); !strings.Contains(msg, "file:///o/b.yaml") || !strings.Contains(msg, "the file is not checked") {
		t.Errorf("an oversized didOpen: the user is told %q", msg)
	}

	c.send(`{"jsonrpc":"2.0","id":71,"method":"workspace/executeCommand","params":{"command":"kube-policy-ls.debug.state"}}`)
	var st debugState
	if m := c.wantResult("71"); json.Unmarshal(m.Result, &st) != nil {
		t.Fatalf("debug state %s", m.Result)
	}
	want := []debugDocument{{URI: "file:///o/a.yaml", Version: 2, Bytes: 5, SHA256: sha("a: 1\n"), OutOfSync: true}}
	if len(st.Documents) != 1 || st.Documents[0] != want[0] {
		t.Errorf("documents after the oversized messages: %+v, want %+v", st.Documents, want)
	}
	// The editor sends the whole text again (on save): back in step.
	c.send(`{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"file:///o/a.yaml","version":3},"contentChanges":[{"text":"b: 2\n"}]}}`)
	c.send(`{"jsonrpc":"2.0","id":72,"method":"workspace/executeCommand","params":{"command":"kube-policy-ls.debug.state"}}`)
	if m := c.wantResult("72"); json.Unmarshal(m.Result, &st) != nil || len(st.Documents) != 1 || st.Documents[0].OutOfSync || st.Documents[0].SHA256 != sha("b: 2\n") {
		t.Errorf("after the whole text: %s", m.Result)
	}
}

// showMessage reads until a window/showMessage that is not about losing track of a file
// (text_sync.go's own), and returns its text.
func (c *rawClient) showMessage() string {
	c.t.Helper()
	for range 100 {
		if err := c.conn.SetReadDeadline(time.Now().Add(waitTimeout)); err != nil {
			c.t.Fatal(err)
		}
		body, err := readFrame(c.in)
		if err != nil {
			c.t.Fatalf("waiting for window/showMessage: %v", err)
		}
		var m struct {
			Method string `json:"method"`
			Params struct {
				Message string `json:"message"`
			} `json:"params"`
		}
		if json.Unmarshal(body, &m) == nil && m.Method == "window/showMessage" && !strings.Contains(m.Params.Message, "lost track") {
			return m.Params.Message
		}
	}
	c.t.Fatal("no window/showMessage in 100 messages")
	return ""
}
