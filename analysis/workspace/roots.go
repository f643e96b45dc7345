package workspace

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
)

// Roots are the directories and files that enclose a file and decide how it is analysed.
// They are found by one upward walk from the file, bounded by its workspace folder; the chart
// root (the nearest Chart.yaml) and the overlay root (kustomization.yaml) are the next
// members, found by the same walk, when Helm charts and Kustomize overlays are rendered.
type Roots struct {
	Folder string // the innermost workspace folder that holds the file, "" for none
	Config string // the configuration file that governs it, "" for none
}

// Scope is the part of a file's roots that decides its engine.
func (r Roots) Scope() Scope { return Scope(r) }

// Scope is what decides the engine of a file: the workspace folder that holds it and the
// configuration file that governs it. Relative paths of the overlay (policies, exclude) are
// taken from the folder, those of a configuration file from its directory.
type Scope struct {
	Folder string // "" for a file outside every folder
	Config string // "" for none
}

// Within reports whether path is dir or lies under it (lexically).
func Within(dir, path string) bool {
	if dir == "" || path == "" {
		return false
	}
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// FolderOf returns the innermost of folders that holds path, or "".
func FolderOf(folders []string, path string) string {
	best := ""
	for _, r := range folders {
		if Within(r, path) && len(r) > len(best) {
			best = r
		}
	}
	return best
}

// findConfig returns the nearest configuration file in dir or above it: up to the workspace
// folder and no further, or, for a file outside every folder (folder ""), up to the file
// system's root.
func findConfig(dir, folder string) string {
	if folder == "" {
		return analysis.FindConfigFile(dir)
	}
	for d := dir; Within(folder, d); d = filepath.Dir(d) {
		p := filepath.Join(d, analysis.ConfigFileName)
		if info, err := os.Stat(p); err == nil && info.Mode().IsRegular() {
			return p
		}
		if d == folder || filepath.Dir(d) == d {
			break
		}
	}
	return ""
}

// absolute makes a path absolute, so that it compares with folders and configuration
// directories; a path that cannot be made absolute is kept as it is.
func absolute(path string) string {
	if path == "" || filepath.IsAbs(path) {
		return path
	}
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}
