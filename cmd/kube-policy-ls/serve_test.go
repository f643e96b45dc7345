package main

import (
	"fmt"
	"strings"
	"testing"
)

// lspSession is a whole client session on stdin: initialize to exit.
func lspSession() string {
	var b strings.Builder
	for _, msg := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}`,
		`{"jsonrpc":"2.0","method":"initialized","params":{}}`,
		`{"jsonrpc":"2.0","id":2,"method":"shutdown"}`,
		`{"jsonrpc":"2.0","method":"exit"}`,
	} {
		fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n%s", len(msg), msg)
	}
	return b.String()
}

// TestServeLogLevel: by default the server writes warnings and errors only to stderr (some
// editors show every stderr line as an error); --log-level info and debug still work.
func TestServeLogLevel(t *testing.T) {
	code, out, stderr := runCLI(t, lspSession(), "serve")
	if code != 0 || !strings.Contains(out, `"id":2`) {
		t.Fatalf("serve: exit %d, stdout %q", code, out)
	}
	if strings.Contains(stderr, "INFO") {
		t.Errorf("info lines on stderr by default:\n%s", stderr)
	}
	code, _, stderr = runCLI(t, lspSession(), "serve", "--log-level", "info")
	if code != 0 || !strings.Contains(stderr, "INFO") || !strings.Contains(stderr, "initialize") {
		t.Errorf("--log-level info: exit %d, stderr:\n%s", code, stderr)
	}
}
