package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"
)

// A baseline lists known findings so that a team can adopt the checker on a large repository
// and fail the build only on new problems. Findings match by file, rule, object and JSON path,
// never by line, so edits elsewhere in a file do not break the match. A chart's or an
// overlay's finding is recorded at the file that set the field (a template, a values file, a
// patch), with the object and path as rendered or built.
type baseline struct {
	Version  int             `json:"version"`
	Findings []baselineEntry `json:"findings"`
}

type baselineEntry struct {
	File   string            `json:"file"`
	Rule   string            `json:"rule"`
	Object yamldoc.ObjectRef `json:"object"`
	Path   []any             `json:"path,omitempty"`
}

const baselineVersion = 1

// key identifies a finding across edits.
func (b baselineEntry) key() string {
	path, _ := json.Marshal(b.Path)
	return fmt.Sprintf("%s\x00%s\x00%s\x00%s", filepath.ToSlash(filepath.Clean(b.File)), b.Rule, b.Object, path)
}

func entryOf(file string, f analysis.Finding) baselineEntry {
	path := append(append([]any{}, f.Item...), f.Path...)
	var norm []any // no path is written as none (omitempty) and read back as nil
	if len(path) > 0 {
		// a round trip through JSON makes the indexes float64, as a read baseline has them
		data, _ := json.Marshal(path)
		_ = json.Unmarshal(data, &norm)
	}
	return baselineEntry{File: file, Rule: f.Rule, Object: f.Object, Path: norm}
}

func readBaseline(path string) (map[string]bool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading baseline: %w", err)
	}
	var b baseline
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("baseline %s: %w", path, err)
	}
	if b.Version != baselineVersion {
		return nil, fmt.Errorf("baseline %s: version %d, want %d", path, b.Version, baselineVersion)
	}
	known := make(map[string]bool, len(b.Findings))
	for _, e := range b.Findings {
		known[e.key()] = true
	}
	return known, nil
}

// writeBaseline records every reported finding.
func writeBaseline(path string, results []checked) (int, error) {
	b := baseline{Version: baselineVersion, Findings: []baselineEntry{}}
	for _, r := range results {
		if p := r.placedFindings(); p != nil { // a chart's or an overlay's, at the file that set it
			for _, f := range p.findings {
				b.Findings = append(b.Findings, entryOf(f.file, f.Finding))
			}
		}
		if r.result == nil {
			continue
		}
		for _, f := range r.result.Findings {
			b.Findings = append(b.Findings, entryOf(r.src.path, f))
		}
	}
	data, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return 0, err
	}
	return len(b.Findings), os.WriteFile(path, append(data, '\n'), 0o644)
}

// applyBaseline drops the known findings from the results and counts them.
func applyBaseline(known map[string]bool, results []checked) int {
	dropped := 0
	for _, r := range results {
		if p := r.placedFindings(); p != nil {
			p.findings = slices.DeleteFunc(p.findings, func(f placedFinding) bool {
				known := known[entryOf(f.file, f.Finding).key()]
				if known {
					dropped++
				}
				return known
			})
		}
		if r.result == nil {
			continue
		}
		kept := r.result.Findings[:0]
		for _, f := range r.result.Findings {
			if known[entryOf(r.src.path, f).key()] {
				dropped++
				continue
			}
			kept = append(kept, f)
		}
		r.result.Findings = kept
	}
	return dropped
}
