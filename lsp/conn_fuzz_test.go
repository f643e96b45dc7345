package lsp

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// Fuzzing of the connection as the server reads it: Server.serve, the production wiring of
// conn.go and frame.go (framing, tolerantStream, the handler chain, every handler), fed
// arbitrary bytes after a valid initialize. Whatever the bytes, the server must not panic (not
// even a panic that the resilient middleware recovers), must not hang, and must answer a valid
// request that follows them whenever the bytes leave the stream at a frame boundary.

// fuzzProbeID is the id of the request sent after the fuzzed bytes.
const fuzzProbeID = "kpl-fuzz-probe-7f3a"

// fuzzHang bounds every wait: far beyond anything the server needs, so reaching it is a hang.
const fuzzHang = 20 * time.Second

// frame puts body in a Content-Length frame.
func frame(body string) []byte {
	return []byte("Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body)
}

// fuzzMessages are the bodies of a plausible session, for seeds.
var fuzzMessages = []string{
	`{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///f/a.yaml","languageId":"yaml","version":1,"text":"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostPID: true\n  containers:\n  - name: c\n    image: nginx\n    securityContext: {privileged: true}\n"}}}`,
	`{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"file:///f/a.yaml","version":2},"contentChanges":[{"range":{"start":{"line":4,"character":11},"end":{"line":4,"character":15}},"text":"false"}]}}`,
	`{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"file:///f/a.yaml","version":3},"contentChanges":[{"text":"kind: Pod\n😀: é\r\n"}]}}`,
	`{"jsonrpc":"2.0","id":10,"method":"textDocument/hover","params":{"textDocument":{"uri":"file:///f/a.yaml"},"position":{"line":4,"character":4}}}`,
	`{"jsonrpc":"2.0","id":11,"method":"textDocument/codeAction","params":{"textDocument":{"uri":"file:///f/a.yaml"},"range":{"start":{"line":0,"character":0},"end":{"line":9,"character":0}},"context":{"diagnostics":[]}}}`,
	`{"jsonrpc":"2.0","id":12,"method":"textDocument/diagnostic","params":{"textDocument":{"uri":"file:///f/a.yaml"}}}`,
	`{"jsonrpc":"2.0","id":13,"method":"workspace/executeCommand","params":{"command":"kube-policy-ls.fixAll","arguments":[{"uri":"file:///f/a.yaml"}]}}`,
	`{"jsonrpc":"2.0","id":14,"method":"workspace/executeCommand","params":{"command":"kube-policy-ls.debug.state","arguments":[{"freeMemory":false}]}}`,
	`{"jsonrpc":"2.0","method":"workspace/didChangeConfiguration","params":{"settings":{"kubePolicy":{"profile":"pss-restricted","debounceMs":0}}}}`,
	`{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":12}}`,
	`{"jsonrpc":"2.0","method":"textDocument/didSave","params":{"textDocument":{"uri":"file:///f/a.yaml"},"text":"a: 1\n"}}`,
	`{"jsonrpc":"2.0","method":"textDocument/didClose","params":{"textDocument":{"uri":"file:///f/a.yaml"}}}`,
	`{"jsonrpc":"2.0","id":15,"method":"shutdown"}`,
	`{"jsonrpc":"2.0","id":16,"result":null}`,
	`[{"jsonrpc":"2.0","id":17,"method":"shutdown"}]`,
	`{not json`,
}

func fuzzSeedsJSONRPC(f *testing.F) {
	var session []byte
	for _, m := range fuzzMessages {
		f.Add(frame(m), false)
		f.Add([]byte(m), true)
		session = append(session, frame(m)...)
	}
	f.Add(session, false)
	f.Add([]byte(strings.Join(fuzzMessages, "\x00")), true)
	for _, raw := range []string{
		"",
		"Content-Length: 10\r\n\r\n{}", // body shorter than declared
		"Content-Length: 2\r\n\r\n{\"jsonrpc\":\"2.0\"}",        // body longer than declared
		"Content-Length: 1073741823\r\n\r\n{",                   // huge, accepted by jsonrpc2
		"Content-Length: 99999999999999999999\r\n\r\n{}",        // overflows
		"Content-Length: -5\r\n\r\n{}",                          // negative
		"Content-Length: 0\r\n\r\n",                             // empty
		"Content-Length 5\r\n\r\nhello",                         // no colon
		"Content-Type: application/json\r\n\r\n{}",              // no length
		"Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}}",     // twice
		"content-length:2\n\n{}",                                // bare newlines, no space
		"Content-Length: 2",                                     // truncated header
		"Content-Length: 2\r\n",                                 // no blank line
		"Content-Length: 2\r\n\r",                               // half a blank line
		"Content-Length: 5\r\n\r\n\xff\xfe\x00\x01\x02",         // binary body
		"\r\n\r\n\r\n",                                          // blank lines only
		"Content-Length: " + strings.Repeat("1", 5000) + "\r\n", // a very long header line
	} {
		f.Add([]byte(raw), false)
	}
}

// FuzzJSONRPCReader feeds bytes to Server.serve after initialize. raw: the bytes as they are;
// framed: NUL-separated message bodies, each framed with its right Content-Length.
func FuzzJSONRPCReader(f *testing.F) {
	fuzzSeedsJSONRPC(f)
	f.Fuzz(func(t *testing.T, data []byte, framed bool) {
		stream := data
		if framed {
			stream = nil
			for _, body := range bytes.Split(data, []byte{0}) {
				if len(body) > 0 {
					stream = append(stream, frame(string(body))...)
				}
			}
		}
		runFuzzedStream(t, stream)
	})
}

// runFuzzedStream sends initialize, initialized, stream and a probe request to a fresh
// server, then checks what the package comment promises.
func runFuzzedStream(t *testing.T, stream []byte) {
	baseline := runtime.NumGoroutine()
	core, logs := observer.New(zapcore.WarnLevel)
	srv := NewServer(Options{Logger: zap.New(core), Version: "fuzz"})
	a, b := net.Pipe()
	code := make(chan int, 1)
	go func() { code <- srv.serve(context.Background(), a) }()

	// The client's reader: every message from the server, answering its requests with an
	// error so that none waits on the client. It ends when the pipe closes.
	answered := make(chan struct{})
	readDone := make(chan struct{})
	var writeMu chanMutex = make(chan struct{}, 1)
	write := func(p []byte) error {
		writeMu.lock()
		defer writeMu.unlock()
		_, err := b.Write(p)
		return err
	}
	go func() {
		defer close(readDone)
		in := bufio.NewReader(b)
		probeSeen := false
		for {
			body, err := readFrame(in)
			if err != nil {
				return
			}
			var m struct {
				ID     json.RawMessage `json:"id"`
				Method string          `json:"method"`
			}
			if json.Unmarshal(body, &m) != nil {
				t.Errorf("the server wrote a frame that is not JSON: %q", body)
				return
			}
			switch {
			case m.Method != "" && len(m.ID) > 0:
				go func() {
					_ = write(frame(`{"jsonrpc":"2.0","id":` + string(m.ID) + `,"error":{"code":-32601,"message":"not here"}}`))
				}()
			case m.Method == "" && string(m.ID) == `"`+fuzzProbeID+`"` && !probeSeen:
				probeSeen = true
				close(answered)
			}
		}
	}()

	var all []byte
	all = append(all, frame(`{"jsonrpc":"2.0","id":"init","method":"initialize","params":{"capabilities":{}}}`)...)
	all = append(all, frame(`{"jsonrpc":"2.0","method":"initialized","params":{}}`)...)
	all = append(all, stream...)
	all = append(all, frame(`{"jsonrpc":"2.0","id":"`+fuzzProbeID+`","method":"textDocument/hover","params":{"textDocument":{"uri":"file:///never/opened.yaml"},"position":{"line":0,"character":0}}}`)...)
	writeDone := make(chan struct{})
	go func() { _ = write(all); close(writeDone) }() // blocks while the server does not read

	// At a frame boundary the probe is a message of its own and must be answered, unless a
	// message ended the server. Otherwise the server may be waiting for the rest of a frame:
	// it must have read everything, and end when the client hangs up.
	atBoundary, exits := wellFramed(stream)
	exited := false
	if atBoundary {
		select {
		case <-answered:
		case c := <-code:
			exited = true
			if !exits {
				t.Errorf("the server ended (code %d) on a well-framed stream without exit, before answering the probe", c)
			}
		case <-time.After(fuzzHang):
			t.Fatalf("hang: the server neither answered the probe nor ended within %v", fuzzHang)
		}
	} else {
		select {
		case <-writeDone:
		case <-code:
			exited = true
		case <-time.After(fuzzHang):
			t.Fatalf("hang: the server stopped reading for %v and did not end", fuzzHang)
		}
	}
	// Hang up; the server must end.
	_ = b.Close()
	if !exited {
		select {
		case <-code:
		case <-time.After(fuzzHang):
			t.Fatalf("hang: the server did not end within %v of the client hanging up", fuzzHang)
		}
	}
	<-readDone
	<-writeDone
	srv.stop()
	for _, e := range logs.All() {
		if strings.Contains(e.Message, "panicked") {
			t.Errorf("a handler panicked: %s %v", e.Message, e.ContextMap())
		}
	}
	// Everything the server started ends (an engine build finishes after the server): no
	// leak, and no pile-up of work from earlier inputs.
	waitGoroutines(t, baseline)
}

// waitGoroutines waits until no more than n goroutines run, and fails with their stacks if
// that does not happen within fuzzHang.
func waitGoroutines(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(fuzzHang)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			var b strings.Builder
			_ = pprof.Lookup("goroutine").WriteTo(&b, 1)
			t.Fatalf("goroutine leak: %d goroutines %v after the session ended, %d before it\n%s", runtime.NumGoroutine(), fuzzHang, n, b.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// chanMutex serialises the client's writes (the probe and its answers to the server).
type chanMutex chan struct{}

func (m chanMutex) lock()   { m <- struct{}{} }
func (m chanMutex) unlock() { <-m }

// readFrame reads one Content-Length frame as the server writes them.
func readFrame(in *bufio.Reader) ([]byte, error) {
	length := -1
	for {
		line, err := in.ReadString('\n')
		if err != nil {
			return nil, err
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			break
		}
		if v, ok := strings.CutPrefix(line, "Content-Length: "); ok {
			length, _ = strconv.Atoi(v)
		}
	}
	if length < 0 || length > 64<<20 {
		return nil, fmt.Errorf("bad length %d", length)
	}
	body := make([]byte, length)
	_, err := io.ReadFull(in, body)
	return body, err
}

// wellFramed reports whether stream is a sequence of strictly well-formed frames ("Name:
// value\r\n" header lines, one Content-Length of at most 1 MiB, "\r\n"), so that the
// probe after it must be read as a frame of its own; and whether one of them is an exit
// notification, which ends the server. Streams that are not are only required not to panic
// or hang.
func wellFramed(stream []byte) (ok, exits bool) {
	for len(stream) > 0 {
		length := -1
		for {
			i := bytes.Index(stream, []byte("\r\n"))
			if i < 0 {
				return false, exits
			}
			line := string(stream[:i])
			stream = stream[i+2:]
			if line == "" {
				break
			}
			name, value, found := strings.Cut(line, ": ")
			if !found || strings.ContainsAny(line, "\n\r") || name == "" || strings.ContainsAny(name, " \t") {
				return false, exits
			}
			if strings.EqualFold(name, "Content-Length") {
				n, err := strconv.Atoi(value)
				if err != nil || n <= 0 || n > 1<<20 || strconv.Itoa(n) != value || length >= 0 {
					return false, exits
				}
				length = n
			}
		}
		if length < 0 || length > len(stream) {
			return false, exits
		}
		var m struct {
			Method string `json:"method"`
		}
		if json.Unmarshal(stream[:length], &m) == nil && m.Method == "exit" {
			exits = true
		}
		stream = stream[length:]
	}
	return true, exits
}
