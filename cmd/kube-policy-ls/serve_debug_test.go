package main

import (
	"strings"
	"testing"
)

func TestServeDebugAddr(t *testing.T) {
	t.Parallel()
	code, _, errOut := runCLI(t, "", "serve", "--debug-addr", "0.0.0.0:0")
	if code != 2 || !strings.Contains(errOut, "--debug-addr") || !strings.Contains(errOut, "not a loopback address") {
		t.Errorf("--debug-addr on every interface: exit %d, stderr:\n%s", code, errOut)
	}
	// On loopback it serves, and says where whatever the log level; the server then ends
	// with its empty stdin.
	code, _, errOut = runCLI(t, "", "serve", "--debug-addr", "127.0.0.1:0")
	if code != 1 || !strings.Contains(errOut, "profiles at http://127.0.0.1:") {
		t.Errorf("--debug-addr on loopback: exit %d, stderr:\n%s", code, errOut)
	}
}
