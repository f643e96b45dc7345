package analysis

import (
	"os"
	"path/filepath"
)

// InChartTemplates reports whether path lies under a Helm chart's templates/ directory (one
// whose parent holds a Chart.yaml): such files are unrendered templates (Input.Helm).
func InChartTemplates(path string) bool {
	abs, err := filepath.Abs(path)
	if err != nil {
		return false
	}
	for dir := filepath.Dir(abs); dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
		if filepath.Base(dir) != "templates" {
			continue
		}
		if info, err := os.Stat(filepath.Join(filepath.Dir(dir), "Chart.yaml")); err == nil && info.Mode().IsRegular() {
			return true
		}
	}
	return false
}
