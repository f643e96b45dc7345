// Package shareddata finds ../shared beside the repository (the corpus of real manifests and
// the Pod Security Standards conformance fixtures) for tests. A user's clone does not have
// it, so the tests that need it skip; this package makes that visible: every such skip is
// said in the test output and, when KPL_SKIP_LOG names a file, appended to it, so that
// `make test` can print which data-dependent tests did not run instead of a plain "ok".
package shareddata

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// LogEnv names the file each skip (or partial run) for want of ../shared is appended to.
const LogEnv = "KPL_SKIP_LOG"

// Env overrides where the shared data is (a directory holding corpus/ and conformance/).
const Env = "KPL_SHARED"

var (
	once    sync.Once
	root    string
	rootErr error
)

// locate finds the directory once: $KPL_SHARED, else ../shared beside the module root.
func locate() (string, error) {
	once.Do(func() {
		if dir := os.Getenv(Env); dir != "" {
			root, rootErr = filepath.Abs(dir)
			return
		}
		// go test runs in the package directory: climb to go.mod, wherever the package is.
		dir, err := filepath.Abs(".")
		for err == nil {
			if _, statErr := os.Stat(filepath.Join(dir, "go.mod")); statErr == nil {
				root = filepath.Join(filepath.Dir(dir), "shared")
				return
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				err = fmt.Errorf("no go.mod above the test's directory")
				break
			}
			dir = parent
		}
		rootErr = err
	})
	return root, rootErr
}

// Path returns the shared directory when it holds need (a path relative to it, such as
// "corpus/INDEX.tsv"); otherwise it skips the test, saying why.
func Path(tb testing.TB, need string) string {
	tb.Helper()
	dir, err := lookup(need)
	if err != nil {
		record(tb, "skipped")
		tb.Skipf("needs ../shared (%s), not found beside the repository: %v", need, err)
	}
	return dir
}

// Optional returns the shared directory when it holds need, or "" after noting in the test's
// log (and KPL_SKIP_LOG) that the test ran without it: for tests that still check something
// with the repository's own files.
func Optional(tb testing.TB, need string) string {
	tb.Helper()
	dir, err := lookup(need)
	if err != nil {
		record(tb, "ran without it")
		tb.Logf("../shared (%s) not found beside the repository, running without it: %v", need, err)
		return ""
	}
	return dir
}

func lookup(need string) (string, error) {
	dir, err := locate()
	if err == nil {
		_, err = os.Stat(filepath.Join(dir, need))
	}
	return dir, err
}

// record appends "outcome<TAB>test name" to $KPL_SKIP_LOG. Packages' test binaries run in
// parallel; each line is one small O_APPEND write, which the kernel does not interleave.
func record(tb testing.TB, outcome string) {
	path := os.Getenv(LogEnv)
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		tb.Logf("%s: %v", LogEnv, err)
		return
	}
	defer f.Close()
	wd, _ := os.Getwd()
	if _, err := fmt.Fprintf(f, "%s\t%s (%s)\n", outcome, tb.Name(), filepath.Base(wd)); err != nil {
		tb.Logf("%s: %v", LogEnv, err)
	}
}
