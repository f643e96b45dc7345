// Package testtree writes the file trees that tests build charts, overlays, workspaces and
// configurations from: a map of slash paths to texts, written under a directory.
package testtree

import (
	"os"
	"path/filepath"
	"testing"
)

// Write writes files (slash paths relative to dir -> text) under dir, creating the directories
// they need, and returns dir. A file already there is replaced.
func Write(t testing.TB, dir string, files map[string]string) string {
	t.Helper()
	for name, text := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
