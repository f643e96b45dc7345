package analysis

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// PolicyDirs returns the configured policy directories, relative ones resolved against
// BaseDir. A relative directory with no BaseDir is left out: it would otherwise resolve
// against the process's working directory, which no user chose.
func (c Config) PolicyDirs() []string {
	out := make([]string, 0, len(c.Policies))
	for _, p := range c.Policies {
		if !filepath.IsAbs(p) {
			if c.BaseDir == "" {
				continue
			}
			p = filepath.Join(c.BaseDir, p)
		}
		out = append(out, filepath.Clean(p))
	}
	return out
}

// CheckPolicyDirs checks that every configured policy path names an existing directory. A
// path that is missing, relative with no BaseDir, a symbolic link (which the engine's walk
// does not follow) or something else (a file) is an error placed at its entry of `policies`
// when the configuration came from ParseConfig. The error names the path only: nothing of a
// file's content is read or reported.
func (c Config) CheckPolicyDirs() error {
	var errs ConfigErrors
	for i, p := range c.Policies {
		dir := p
		if !filepath.IsAbs(dir) {
			if c.BaseDir == "" {
				errs = append(errs, errorAt(c.src, fmt.Sprintf("policies[%d]: %q is relative and there is no directory to resolve it against", i, p), "policies", i))
				continue
			}
			dir = filepath.Join(c.BaseDir, dir)
		}
		var msg string
		switch info, err := os.Lstat(dir); {
		case errors.Is(err, fs.ErrNotExist):
			msg = fmt.Sprintf("policies[%d]: directory %s does not exist", i, dir)
		case err != nil:
			msg = fmt.Sprintf("policies[%d]: directory %s cannot be read", i, dir)
		case info.Mode()&fs.ModeSymlink != 0:
			msg = fmt.Sprintf("policies[%d]: %s is a symbolic link, which policy loading does not follow: name the directory it points to", i, dir)
		case !info.IsDir():
			msg = fmt.Sprintf("policies[%d]: %s is not a directory", i, dir)
		}
		if msg != "" {
			errs = append(errs, errorAt(c.src, msg, "policies", i))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}
