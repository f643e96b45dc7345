package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/fix"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/workspace"
)

// fixChart applies the values fixes of a chart's findings to its values files (check --fix):
// the same fixer as for manifests, on the values file that supplies each value. The chart is
// then rendered and checked again, so the report shows what remains.
func fixChart(ctx context.Context, c checked, ws *workspace.Workspace, dryRun bool, stdout io.Writer, sum *fixSummary) checked {
	cc := c.chart
	set := cc.rendered.ValuesFixSet(cc.placed)
	changed := false
	var firstErr error
	fail := func(err error) {
		if firstErr == nil {
			firstErr = err
		}
	}
	for _, file := range set.Files {
		shown := displayPath(c.src, file)
		data, err := os.ReadFile(file)
		if err != nil {
			fail(fmt.Errorf("fixing %s: %w", shown, err))
			continue
		}
		old := string(data)
		edits, failed, err := analysis.FixText(old, set.Fixes[file])
		if err != nil {
			fail(fmt.Errorf("fixing %s: %w", shown, err))
			continue
		}
		for _, ff := range failed {
			sum.failed = append(sum.failed, fmt.Sprintf("%s: %s: %v", shown, set.Fixes[file][ff.Fix].Name, ff.Err))
		}
		if len(edits) == 0 {
			continue
		}
		text, err := fix.ApplyEdits(old, edits)
		if err != nil {
			fail(fmt.Errorf("fixing %s: %w", shown, err))
			continue
		}
		if dryRun {
			if _, err := io.WriteString(stdout, diffOf(shown, old, text)); err != nil {
				fail(fmt.Errorf("writing the diff of %s: %w", shown, err))
				continue
			}
		} else if err := writeFixed(file, old, text); err != nil {
			fail(fmt.Errorf("fixing %s: %w", shown, err))
			continue
		}
		sum.files++
		sum.fixed += len(set.Findings[file]) - len(failed)
		changed = true
	}
	if changed && !dryRun {
		c = checkChart(ctx, c.src, ws, cc.opts)
	}
	if c.err == nil {
		c.err = firstErr
	}
	return c
}
