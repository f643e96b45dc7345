package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/fix"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/workspace"
)

// fixOverlays applies the fixes of the overlays' findings where their fields live (check
// --fix): the patch that set the field, or the base resource. A file that is also checked on
// its own was fixed as such (fixFiles) and is left alone here; a fix that several overlays
// share (a component, a base) is applied once. Every overlay is then built and checked again,
// so the report shows what remains.
func fixOverlays(ctx context.Context, results []checked, ws *workspace.Workspace, dryRun bool, stdout io.Writer, sum *fixSummary) {
	plain := map[string]bool{}
	for _, c := range results {
		if c.result != nil && c.src.path != "-" {
			plain[absPath(c.src.path)] = true
		}
	}
	type docKey struct {
		file string
		doc  int
	}
	fixes := map[docKey][]fix.Fix{}
	seen := map[string]bool{}
	var keys []docKey
	for _, c := range results {
		if c.overlay == nil {
			continue
		}
		for _, f := range c.overlay.placed {
			if f.FixFile == "" || plain[f.FixFile] {
				continue
			}
			id := fmt.Sprintf("%s %d %s %v", f.FixFile, f.FixDoc, f.Rule, f.Fix.Ops)
			if seen[id] {
				continue
			}
			seen[id] = true
			k := docKey{f.FixFile, f.FixDoc}
			if _, ok := fixes[k]; !ok {
				keys = append(keys, k)
			}
			fixes[k] = append(fixes[k], f.Fix)
		}
	}
	// each document's fixes are applied to the text the previous ones left
	slices.SortFunc(keys, func(a, b docKey) int { return cmp.Or(strings.Compare(a.file, b.file), cmp.Compare(a.doc, b.doc)) })
	texts := map[string]string{}
	var firstErr error
	for _, k := range keys {
		old, ok := texts[k.file]
		if !ok {
			data, err := os.ReadFile(k.file)
			if err != nil {
				firstErr = cmpErr(firstErr, fmt.Errorf("fixing %s: %w", k.file, err))
				continue
			}
			old = string(data)
		}
		edits, failed, err := analysis.FixDocument(old, k.doc, fixes[k])
		if err == nil {
			var text string
			text, err = fix.ApplyEdits(old, edits)
			texts[k.file] = text
		}
		if err != nil {
			firstErr = cmpErr(firstErr, fmt.Errorf("fixing %s: %w", k.file, err))
			continue
		}
		for _, ff := range failed {
			sum.failed = append(sum.failed, fmt.Sprintf("%s: %s: %v", k.file, fixes[k][ff.Fix].Name, ff.Err))
		}
		sum.fixed += len(fixes[k]) - len(failed)
	}
	files := make([]string, 0, len(texts))
	for f := range texts {
		files = append(files, f)
	}
	slices.Sort(files)
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil || string(data) == texts[file] {
			continue
		}
		if dryRun {
			_, err = io.WriteString(stdout, diffOf(file, string(data), texts[file]))
		} else {
			err = writeFixed(file, string(data), texts[file])
		}
		if err != nil {
			firstErr = cmpErr(firstErr, fmt.Errorf("fixing %s: %w", file, err))
			continue
		}
		sum.files++
	}
	for i, c := range results {
		if c.overlay == nil {
			continue
		}
		if !dryRun {
			results[i] = checkOverlay(ctx, c.src, ws)
		}
		if results[i].err == nil && firstErr != nil {
			results[i].err, firstErr = firstErr, nil // reported once
		}
	}
}

// cmpErr keeps the first error.
func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}
