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

// fixChart applies the fixes of a chart's findings (check --fix): values fixes to the values
// file that supplies each value, with the same fixer as for manifests, and template fixes to
// the templates that write the field as literal text, once a render with the fixed templates
// shows their findings gone. The chart is then rendered and checked again, so the report
// shows what remains.
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
	templates, dropped, err := cc.rendered.VerifyTemplateFixes(ctx, cc.render, cc.engine, cc.placed, cc.rendered.TemplateFixSet(cc.placed))
	if err != nil {
		fail(fmt.Errorf("verifying the template fixes of %s: %w", displayPath(c.src, cc.root), err))
	}
	for _, file := range dropped {
		sum.failed = append(sum.failed, fmt.Sprintf("%s: the template fixes did not remove their findings on a new render", displayPath(c.src, file)))
	}
	// write applies edits to a chart file and counts its fixed findings; old is its text.
	write := func(file, old string, edits []fix.Edit, fixed int) {
		shown := displayPath(c.src, file)
		text, err := fix.ApplyEdits(old, edits)
		if err != nil {
			fail(fmt.Errorf("fixing %s: %w", shown, err))
			return
		}
		if dryRun {
			if _, err := io.WriteString(stdout, diffOf(shown, old, text)); err != nil {
				fail(fmt.Errorf("writing the diff of %s: %w", shown, err))
				return
			}
		} else if err := writeFixed(file, old, text); err != nil {
			fail(fmt.Errorf("fixing %s: %w", shown, err))
			return
		}
		sum.files++
		sum.fixed += fixed
		changed = true
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
		if len(edits) > 0 {
			write(file, old, edits, len(set.Findings[file])-len(failed))
		}
	}
	for _, file := range templates.Files {
		shown := displayPath(c.src, file)
		data, err := os.ReadFile(file)
		if err != nil {
			fail(fmt.Errorf("fixing %s: %w", shown, err))
			continue
		}
		// The edits are on the template as rendered: one changed since is left alone.
		if string(data) != templates.Texts[file] {
			fail(fmt.Errorf("fixing %s: it changed since the chart was rendered", shown))
			continue
		}
		write(file, string(data), templates.Edits[file], len(templates.Findings[file]))
	}
	if changed && !dryRun {
		c = checkChart(ctx, c.src, ws, cc.opts)
	}
	if c.err == nil {
		c.err = firstErr
	}
	return c
}
