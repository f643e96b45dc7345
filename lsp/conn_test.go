package lsp

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.lsp.dev/jsonrpc2"
	"go.uber.org/zap"
)

// rawClient speaks the base protocol by hand, to send what no well-behaved client would.
type rawClient struct {
	t    *testing.T
	conn net.Conn
	in   *bufio.Reader
	code chan int
}

func newRawClient(t *testing.T) *rawClient {
	t.Helper()
	a, b := net.Pipe()
	c := &rawClient{t: t, conn: b, in: bufio.NewReader(b), code: make(chan int, 1)}
	go func() {
		c.code <- NewServer(Options{Logger: zap.NewNop(), Version: "raw"}).serve(context.Background(), a)
	}()
	t.Cleanup(func() { _ = b.Close() })
	return c
}

func (c *rawClient) send(body string) {
	c.t.Helper()
	if err := c.conn.SetWriteDeadline(time.Now().Add(waitTimeout)); err != nil {
		c.t.Fatal(err)
	}
	if _, err := fmt.Fprintf(c.conn, "Content-Length: %d\r\n\r\n%s", len(body), body); err != nil {
		c.t.Fatalf("send %s: %v", body, err)
	}
}

// message is a decoded JSON-RPC message.
type message struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code int64 `json:"code"`
	} `json:"error"`
}

func (c *rawClient) read() message {
	c.t.Helper()
	if err := c.conn.SetReadDeadline(time.Now().Add(waitTimeout)); err != nil {
		c.t.Fatal(err)
	}
	length := -1
	for {
		line, err := c.in.ReadString('\n')
		if err != nil {
			c.t.Fatalf("reading a header: %v", err)
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			break
		}
		if v, ok := strings.CutPrefix(line, "Content-Length: "); ok {
			length, _ = strconv.Atoi(v)
		}
	}
	body := make([]byte, length)
	if _, err := io.ReadFull(c.in, body); err != nil {
		c.t.Fatal(err)
	}
	var m message
	if err := json.Unmarshal(body, &m); err != nil {
		c.t.Fatalf("server sent %q: %v", body, err)
	}
	return m
}

// response reads until the response with the given id (JSON text, "null" included), skipping
// the server's notifications.
func (c *rawClient) response(id string) message {
	c.t.Helper()
	for {
		m := c.read()
		if m.Method == "" && string(m.ID) == id {
			return m
		}
		if m.Method == "" {
			c.t.Fatalf("response to %s while waiting for %s", m.ID, id)
		}
	}
}

func (c *rawClient) wantError(id string, code jsonrpc2.Code) {
	c.t.Helper()
	m := c.response(id)
	if m.Error == nil || m.Error.Code != int64(code) {
		c.t.Errorf("response %s: error %+v, want code %d", id, m.Error, code)
	}
}

func (c *rawClient) wantResult(id string) message {
	c.t.Helper()
	m := c.response(id)
	if m.Error != nil {
		c.t.Errorf("response %s: error %d", id, m.Error.Code)
	}
	return m
}

func (c *rawClient) exitCode() int {
	c.t.Helper()
	select {
	case code := <-c.code:
		return code
	case <-time.After(waitTimeout):
		c.t.Fatal("server did not exit")
		return -1
	}
}

const rawInitialize = `{"jsonrpc":"2.0","id":2,"method":"initialize","params":{"processId":null,"rootUri":null,"capabilities":{}}}`

func TestMalformedAndUnknownMessages(t *testing.T) {
	t.Parallel()
	c := newRawClient(t)
	c.send(`{"jsonrpc":"2.0","id":1,"method":"textDocument/hover","params":{"textDocument":{"uri":"file:///a.yaml"},"position":{"line":0,"character":0}}}`)
	c.wantError("1", jsonrpc2.ServerNotInitialized)
	c.send(`{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///early.yaml","languageId":"yaml","version":1,"text":"a: 1"}}}`)
	c.send(rawInitialize)
	c.wantResult("2")
	c.send(`{"jsonrpc":"2.0","method":"initialized"}`) // no params at all

	c.send(`{not json`)
	c.wantError("null", jsonrpc2.ParseError)
	c.send(`[1, 2]`) // a batch: LSP has none
	c.wantError("null", jsonrpc2.InvalidRequest)
	c.send(`{"id":3,"method":"shutdown"}`) // no "jsonrpc": "2.0"
	c.wantError("3", jsonrpc2.InvalidRequest)
	c.send(`{"jsonrpc":"2.0","id":4,"method":"kube-policy-ls/nonsense","params":{}}`)
	c.wantError("4", jsonrpc2.MethodNotFound)
	c.send(`{"jsonrpc":"2.0","method":"kube-policy-ls/unknown-notification","params":{}}`)
	c.send(`{"jsonrpc":"2.0","method":"$/unknown","params":{"x":1}}`)
	c.send(`{"jsonrpc":"2.0","method":"textDocument/didChange","params":5}`)
	c.send(`{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{}}`)
	c.send(`{"jsonrpc":"2.0","method":"textDocument/didClose","params":{"textDocument":{"uri":"file:///never-opened.yaml"}}}`)
	c.send(`{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":{"not":"an id"}}}`)
	c.send(`{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":12345}}`)
	c.send(`{"jsonrpc":"2.0","id":"five","method":"textDocument/hover","params":"not an object"}`)
	c.wantError(`"five"`, jsonrpc2.ParseError)
	c.send(`{"jsonrpc":"2.0","id":5,"result":{"unexpected":"response"}}`)

	// Still alive and in order: a document opened now gets its diagnostics.
	c.send(`{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///ok.yaml","languageId":"yaml","version":1,"text":"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostPID: true\n  containers: []\n"}}}`)
	for m := c.read(); m.Method != "textDocument/publishDiagnostics"; m = c.read() {
	}
	c.send(`{"jsonrpc":"2.0","id":6,"method":"textDocument/hover","params":{"textDocument":{"uri":"file:///ok.yaml"},"position":{"line":4,"character":4}}}`)
	if m := c.wantResult("6"); !strings.Contains(string(m.Result), "host") {
		t.Errorf("hover result %s", m.Result)
	}

	c.send(`{"jsonrpc":"2.0","id":7,"method":"shutdown","params":null}`)
	c.wantResult("7")
	c.send(`{"jsonrpc":"2.0","id":8,"method":"textDocument/hover","params":{"textDocument":{"uri":"file:///ok.yaml"},"position":{"line":0,"character":0}}}`)
	c.wantError("8", jsonrpc2.InvalidRequest)
	c.send(`{"jsonrpc":"2.0","method":"exit"}`)
	if code := c.exitCode(); code != 0 {
		t.Errorf("exit code after shutdown and exit: %d, want 0", code)
	}
}

func TestShutdownWithoutParams(t *testing.T) {
	t.Parallel()
	for name, shutdown := range map[string]string{
		"absent": `{"jsonrpc":"2.0","id":3,"method":"shutdown"}`,
		"null":   `{"jsonrpc":"2.0","id":3,"method":"shutdown","params":null}`,
		"empty":  `{"jsonrpc":"2.0","id":3,"method":"shutdown","params":{}}`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := newRawClient(t)
			c.send(rawInitialize)
			c.wantResult("2")
			c.send(shutdown)
			if m := c.wantResult("3"); string(m.Result) != "null" {
				t.Errorf("shutdown result %s, want null", m.Result)
			}
			c.send(`{"jsonrpc":"2.0","method":"exit","params":null}`)
			if code := c.exitCode(); code != 0 {
				t.Errorf("exit code %d, want 0", code)
			}
		})
	}
}

func TestExitWithoutShutdown(t *testing.T) {
	t.Parallel()
	c := newRawClient(t)
	c.send(rawInitialize)
	c.wantResult("2")
	c.send(`{"jsonrpc":"2.0","method":"exit"}`)
	if code := c.exitCode(); code != 1 {
		t.Errorf("exit code without shutdown: %d, want 1", code)
	}
}

func TestClientGoneEndsServer(t *testing.T) {
	t.Parallel()
	c := newRawClient(t)
	c.send(rawInitialize)
	c.wantResult("2")
	_ = c.conn.Close()
	if code := c.exitCode(); code != 1 {
		t.Errorf("exit code when the client disappears: %d, want 1", code)
	}
}

// TestPanicsAreRecovered drives the resilient middleware with handlers that panic and fail:
// a request gets an internal error, a notification a log line, and the connection goes on.
func TestPanicsAreRecovered(t *testing.T) {
	t.Parallel()
	s := NewServer(Options{Logger: zap.NewNop()})
	inner := func(_ context.Context, req *jsonrpc2.Request) (any, error) {
		switch req.Method() {
		case "panic":
			panic("boom")
		case "fail":
			return nil, fmt.Errorf("failed")
		}
		return "ok", nil
	}
	a, b := net.Pipe()
	server := jsonrpc2.NewConn(jsonrpc2.NewStream(a), jsonrpc2.WithCodec(codec{}))
	server.Go(context.Background(), resilient(s, asyncCalls(inner)))
	client := jsonrpc2.NewConn(jsonrpc2.NewStream(b), jsonrpc2.WithCodec(codec{}))
	client.Go(context.Background(), jsonrpc2.MethodNotFoundHandler)
	t.Cleanup(func() { _ = client.Close(); _ = server.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()

	var res string
	if _, err := client.Call(ctx, "panic", nil, &res); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("a panicking request: %v, want an internal error naming the panic", err)
	}
	for _, method := range []string{"panic", "fail"} {
		if err := client.Notify(ctx, method, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := client.Call(ctx, "ok", nil, &res); err != nil || res != "ok" {
		t.Errorf("after panics: %q %v", res, err)
	}
}

// TestRequestCancellation: a hover waits for the analysis of a large document; a
// $/cancelRequest for it ends it at once with RequestCancelled, and the server goes on.
func TestRequestCancellation(t *testing.T) {
	t.Parallel()
	c := newRawClient(t)
	c.send(rawInitialize)
	c.wantResult("2")
	var text strings.Builder
	for i := range 300 { // enough for the cancellation to arrive long before the analysis ends
		fmt.Fprintf(&text, "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p%d\nspec:\n  hostPID: true\n  containers:\n  - name: c\n    image: nginx\n", i)
	}
	body, _ := json.Marshal(text.String())
	c.send(`{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///big.yaml","languageId":"yaml","version":1,"text":` + string(body) + `}}}`)
	c.send(`{"jsonrpc":"2.0","id":"slow","method":"textDocument/hover","params":{"textDocument":{"uri":"file:///big.yaml"},"position":{"line":6,"character":4}}}`)
	c.send(`{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":"slow"}}`)
	c.wantError(`"slow"`, jsonrpc2.Code(-32800))
	c.send(`{"jsonrpc":"2.0","id":9,"method":"textDocument/hover","params":{"textDocument":{"uri":"file:///big.yaml"},"position":{"line":6,"character":4}}}`)
	if m := c.wantResult("9"); !strings.Contains(string(m.Result), "host-pid") {
		t.Errorf("hover after the cancellation: %s", m.Result)
	}
}
