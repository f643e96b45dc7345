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
	"github.com/kube-policy-ls/kube-policy-ls/analysis/kustomize"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/workspace"
)

// source is one file to check, as named on the command line (or found under a directory).
type source struct {
	path string // as the user gave it, or joined under the directory they gave; "-" is stdin
	helm bool   // under a chart's templates/ directory
	// named: the user named the file itself, not a directory above it; excluded, it is
	// reported as ignored rather than skipped silently
	named bool
	// chart is the absolute directory of the Helm chart the source is (chart.go); path is
	// then the chart's directory as the user named it.
	chart string
	// only is, for a file of a chart named on the command line, that file (absolute): only
	// the findings placed in it are reported.
	only string
	// overlay is the absolute directory of the Kustomize overlay the source is
	// (kustomize.go); path is then the directory as walked, or, for a kustomization or patch
	// file named on the command line (only), that file.
	overlay string
}

// collect expands the command line's paths: files as given, directories walked for *.yaml and
// *.yml (skipping hidden directories and node_modules), "-" for stdin. A directory with a
// Chart.yaml is a chart, checked as rendered, as is every file of one.
func collect(paths []string) ([]source, error) {
	var out []source
	charts := map[string]bool{} // charts added whole
	addChart := func(path, root string) {
		if !charts[root] {
			charts[root] = true
			out = append(out, source{path: path, chart: root})
		}
	}
	for _, p := range paths {
		if p == "-" {
			out = append(out, source{path: "-"})
			continue
		}
		info, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, err
		}
		if root := workspace.ChartRoot(abs, ""); root != "" {
			if !info.IsDir() {
				out = append(out, source{path: chartPathAsNamed(p, abs, root), chart: root, only: abs, named: true})
			} else {
				addChart(chartPathAsNamed(p, abs, root), root)
			}
			continue
		}
		if !info.IsDir() {
			if root := overlayOfFragment(abs); root != "" {
				out = append(out, source{path: p, overlay: root, only: abs, named: true})
				continue
			}
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
				if workspace.IsChart(path) {
					if root, err := filepath.Abs(path); err == nil {
						addChart(path, root)
					}
					return filepath.SkipDir
				}
				if root, err := filepath.Abs(path); err == nil && kustomize.IsRoot(root, nil) {
					out = append(out, source{path: path, overlay: root})
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

// chartPathAsNamed names a chart's directory from a path the user gave inside it (p, absolute
// abs): p with the part below the chart taken off.
func chartPathAsNamed(p, abs, root string) string {
	rel, err := filepath.Rel(root, abs)
	if err != nil || rel == "." {
		return p
	}
	up := strings.Count(filepath.ToSlash(rel), "/") + 1
	named := p
	for range up {
		named = filepath.Dir(named)
	}
	return named
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
