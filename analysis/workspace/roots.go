package workspace

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
)

// Roots are the directories and files that enclose a file and decide how it is analysed.
// They are found by upward walks from the file, bounded by its workspace folder; the overlay
// root (kustomization.yaml) is the next member, when Kustomize overlays are rendered.
type Roots struct {
	Folder string // the innermost workspace folder that holds the file, "" for none
	Config string // the configuration file that governs it, "" for none
	// Chart is the directory of the Helm chart the file belongs to (ChartRoot), "" for none:
	// such a file is checked through the rendered chart.
	Chart string
}

// Scope is the part of a file's roots that decides its engine.
func (r Roots) Scope() Scope { return Scope{Folder: r.Folder, Config: r.Config} }

// ChartFile is the file that makes a directory a Helm chart.
const ChartFile = "Chart.yaml"

// ChartRoot returns the chart that the file or directory at path belongs to: the nearest
// directory at or above it with a Chart.yaml, and, when that chart sits in another chart's
// charts/ directory, that parent chart (a subchart is rendered as part of its parent, with
// its parent's values). The walk stops at folder when it is not "". "" for none.
func ChartRoot(path, folder string) string {
	root := ""
	if path == "" {
		return ""
	}
	for d := path; ; d = filepath.Dir(d) {
		if folder != "" && !Within(folder, d) {
			break
		}
		if IsChart(d) {
			if root == "" || filepath.Base(filepath.Dir(root)) == "charts" && filepath.Dir(filepath.Dir(root)) == d {
				root = d
			}
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	return root
}

// IsChart reports whether dir holds a Chart.yaml.
func IsChart(dir string) bool {
	info, err := os.Stat(filepath.Join(dir, ChartFile))
	return err == nil && info.Mode().IsRegular()
}

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
