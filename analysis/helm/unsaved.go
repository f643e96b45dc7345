package helm

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"helm.sh/helm/v4/pkg/ignore"
)

// unsavedTemplates returns the unsaved files (l.unsaved) that belong under the templates/ of
// the chart in dir but are not on disk: a template created in the editor and not yet saved,
// which the directory walk cannot list. .helmignore applies to them as to the files on
// disk. Files under charts/ belong to a subchart and are found when it is loaded.
func (l *loaded) unsavedTemplates(dir string, rules *ignore.Rules) []string {
	var out []string
	for _, p := range l.unsaved {
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			continue
		}
		rel = filepath.ToSlash(rel)
		if !strings.HasPrefix(rel, "templates/") || slices.Contains(out, p) {
			continue
		}
		if _, err := os.Lstat(p); !errors.Is(err, fs.ErrNotExist) {
			continue // on disk: the walk read it, or skipped it for a reason that holds
		}
		if !ignoredPath(rules, rel) {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

// ignoredPath reports whether .helmignore rules exclude rel or one of its directories.
func ignoredPath(rules *ignore.Rules, rel string) bool {
	parts := strings.Split(rel, "/")
	for i := range parts {
		p := path.Join(parts[:i+1]...)
		if rules.Ignore(p, unsavedInfo{name: parts[i], dir: i < len(parts)-1}) {
			return true
		}
	}
	return false
}

// unsavedInfo describes a file or directory that exists only in an editor, for the
// .helmignore rules (which look at the name and whether it is a directory).
type unsavedInfo struct {
	name string
	dir  bool
}

func (i unsavedInfo) Name() string       { return i.name }
func (i unsavedInfo) Size() int64        { return 0 }
func (i unsavedInfo) ModTime() time.Time { return time.Time{} }
func (i unsavedInfo) IsDir() bool        { return i.dir }
func (i unsavedInfo) Sys() any           { return nil }
func (i unsavedInfo) Mode() fs.FileMode {
	if i.dir {
		return fs.ModeDir | 0o755
	}
	return 0o644
}
