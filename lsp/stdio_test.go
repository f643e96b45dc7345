package lsp

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"
)

// pipes joins a child's stdout and stdin into a stream.
type pipes struct {
	io.ReadCloser
	io.WriteCloser
}

func (p pipes) Close() error {
	return errors.Join(p.WriteCloser.Close(), p.ReadCloser.Close())
}

// TestBinaryOverStdio runs the built binary as an editor does (`kube-policy-ls --stdio`, as
// vscode-languageclient starts it) and talks to it with Content-Length framing over its real
// stdin and stdout.
func TestBinaryOverStdio(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "kube-policy-ls")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/kube-policy-ls").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*waitTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--stdio", "--log-level", "debug")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	client := newTestClient()
	conn := jsonrpc2.NewConn(jsonrpc2.NewStream(pipes{stdout, stdin}), jsonrpc2.WithCodec(codec{}))
	conn.Go(ctx, asyncCalls(protocol.ClientHandler(client, jsonrpc2.MethodNotFoundHandler)))
	server := protocol.ServerDispatcher(conn)

	init, err := server.Initialize(ctx, &protocol.InitializeParams{ClientInfo: protocol.ClientInfo{Name: "stdio-test"}})
	if err != nil {
		t.Fatalf("initialize: %v\nstderr:\n%s", err, stderr.String())
	}
	if init.ServerInfo.Name != "kube-policy-ls" {
		t.Errorf("server info %+v", init.ServerInfo)
	}
	if err := server.Initialized(ctx, &protocol.InitializedParams{}); err != nil {
		t.Fatal(err)
	}
	u := uri.File("/work/stdio.yaml")
	if err := server.DidOpen(ctx, &protocol.DidOpenTextDocumentParams{TextDocument: protocol.TextDocumentItem{URI: u, LanguageID: "yaml", Version: 1, Text: podYAML}}); err != nil {
		t.Fatal(err)
	}
	client.waitFor(t, "diagnostics over stdio", func() bool {
		p := client.latestLocked(u)
		return p != nil && hasCode(p.Diagnostics, "host-pid")
	})
	if err := server.DidChange(ctx, &protocol.DidChangeTextDocumentParams{
		TextDocument:   protocol.VersionedTextDocumentIdentifier{TextDocumentIdentifier: protocol.TextDocumentIdentifier{URI: u}, Version: 2},
		ContentChanges: []protocol.TextDocumentContentChangeEvent{partial(5, 11, 5, 15, "false")},
	}); err != nil {
		t.Fatal(err)
	}
	client.waitFor(t, "diagnostics of the edit", func() bool {
		p := client.latestLocked(u)
		v, _ := versionOf(p)
		return v == 2 && !hasCode(p.Diagnostics, "host-pid")
	})
	// shutdown without params, as Neovim sends it; then exit.
	if _, err := conn.Call(ctx, protocol.MethodShutdown, nil, nil); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if err := conn.Notify(ctx, protocol.MethodExit, nil); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("server exit: %v\nstderr:\n%s", err, stderr.String())
		}
	case <-time.After(waitTimeout):
		t.Fatal("the server did not exit")
	}
	_ = conn.Close()
	// Every byte on stdout was a framed message (the reader would have failed on anything
	// else), and the logs went to stderr.
	if err := conn.Err(); err != nil && !errors.Is(err, io.EOF) && !strings.Contains(err.Error(), "closed") {
		t.Errorf("connection: %v", err)
	}
	if !strings.Contains(stderr.String(), "initialize") {
		t.Errorf("no log lines on stderr:\n%s", stderr.String())
	}
}
