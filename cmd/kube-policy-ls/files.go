package main

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unsafe"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
)

// source is one file to check, as named on the command line (or found under a directory).
type source struct {
	path string // as the user gave it, or joined under the directory they gave; "-" is stdin
	helm bool   // under a chart's templates/ directory
	// named: the user named the file itself, not a directory above it; excluded, it is
	// reported as ignored rather than skipped silently
	named bool
}

// collect expands the command line's paths: files as given, directories walked for *.yaml and
// *.yml (skipping hidden directories and node_modules), "-" for stdin.
func collect(paths []string) ([]source, error) {
	var out []source
	for _, p := range paths {
		if p == "-" {
			out = append(out, source{path: "-"})
			continue
		}
		info, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			out = append(out, source{path: p, helm: analysis.InChartTemplates(p), named: true})
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			name := d.Name()
			if d.IsDir() {
				if path != p && (strings.HasPrefix(name, ".") || name == "node_modules") {
					return filepath.SkipDir
				}
				return nil
			}
			if ext := filepath.Ext(name); (ext == ".yaml" || ext == ".yml") && name != ".kube-policy.yaml" {
				out = append(out, source{path: path, helm: analysis.InChartTemplates(path)})
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// read returns a source's text.
func (s source) read(stdin io.Reader) (string, error) {
	var data []byte
	var err error
	if s.path == "-" {
		data, err = io.ReadAll(io.LimitReader(stdin, 1<<30))
	} else {
		data, err = os.ReadFile(s.path)
	}
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", s.path, err)
	}
	// The buffer is never written again, so the text can share it: a copy would double the
	// memory of a large checkout, and the time the checker spends on it.
	return unsafe.String(unsafe.SliceData(data), len(data)), nil
}
