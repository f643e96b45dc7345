package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/workspace"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"
)

// report writes the results of check in one format.
type report struct {
	results   []checked
	workspace *workspace.Workspace
	stdout    io.Writer
	color     bool
	// showSuppressed prints suppressed findings in text output too (JSON and SARIF always
	// carry them, marked).
	showSuppressed bool
}

// shown returns the findings a report lists: the reported ones, and the suppressed ones when
// asked, in position order.
func (r report) shown(res *analysis.Result, withSuppressed bool) []analysis.Finding {
	if !withSuppressed || len(res.Suppressed) == 0 {
		return res.Findings
	}
	all := append(append([]analysis.Finding{}, res.Findings...), res.Suppressed...)
	slices.SortStableFunc(all, func(a, b analysis.Finding) int { return a.Range.Start - b.Range.Start })
	return all
}

// span is a finding's position as the CLI prints it: 1-based lines, 1-based code-point
// columns, end exclusive.
type span struct {
	Line, Column, EndLine, EndColumn int
}

func spanOf(m *yamldoc.Mapper, r yamldoc.Range) span {
	s, e := m.Pos(r.Start, yamldoc.CodePoints), m.Pos(r.End, yamldoc.CodePoints)
	return span{s.Line + 1, s.Col + 1, e.Line + 1, e.Col + 1}
}

// useColor decides whether text output is coloured: only on a terminal, never with NO_COLOR.
func useColor(mode string, w io.Writer) bool {
	switch mode {
	case "always":
		return true
	case "never":
		return false
	}
	if os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	return isTerminal(w)
}

// isTerminal says whether f (stdin, stdout) is a character device, as a terminal is. Anything
// with Stat qualifies, so that tests can stand in for a terminal.
func isTerminal(f any) bool {
	st, ok := f.(interface{ Stat() (os.FileInfo, error) })
	if !ok {
		return false
	}
	info, err := st.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

var severityColor = map[analysis.Severity]string{
	analysis.Critical: "\x1b[1;35m", analysis.High: "\x1b[1;31m", analysis.Medium: "\x1b[1;33m",
	analysis.Low: "\x1b[1;36m", analysis.Info: "\x1b[1;34m", analysis.Hint: "\x1b[2m",
}

// text prints findings like a compiler: "file:line:col: severity rule: message", then the
// source line and a caret under the range.
func (r report) text() error {
	paint := func(code, s string) string {
		if !r.color {
			return s
		}
		return code + s + "\x1b[0m"
	}
	counts := map[analysis.Severity]int{}
	files, objects, total, suppressed := 0, 0, 0, 0
	lines := fileLines{}
	for _, c := range r.results {
		if c.chart != nil {
			files++
			objects += c.chart.objects
			suppressed += len(c.chart.suppressed)
			for _, f := range r.shownChart(c.chart) {
				if f.Suppressed == nil {
					total++
					counts[f.Severity]++
				}
				r.textChartFinding(f, lines, paint)
			}
			continue
		}
		if c.overlay != nil {
			files++
			objects += c.overlay.objects
			suppressed += len(c.overlay.suppressed)
			for _, f := range r.shownOverlay(c.overlay) {
				if f.Suppressed == nil {
					total++
					counts[f.Severity]++
				}
				r.textOverlayFinding(f, lines, paint)
			}
			continue
		}
		if c.result == nil {
			continue
		}
		files++
		objects += c.result.Objects
		suppressed += len(c.result.Suppressed)
		m := c.result.Mapper
		for _, f := range r.shown(c.result, r.showSuppressed) {
			msg := f.Message + overlayNote(c.overlaysOf(f))
			if f.Suppressed != nil {
				msg += fmt.Sprintf(" [suppressed by %s: %s]", f.Suppressed.By, f.Suppressed.Reason)
			} else {
				total++
				counts[f.Severity]++
			}
			sp := spanOf(m, f.Range)
			fmt.Fprintf(r.stdout, "%s: %s %s: %s\n",
				paint("\x1b[1m", fmt.Sprintf("%s:%d:%d", c.src.path, sp.Line, sp.Column)),
				paint(severityColor[f.Severity], f.Severity.String()), paint("\x1b[2m", f.Rule), msg)
			line := strings.ReplaceAll(m.Line(sp.Line-1), "\t", " ")
			width := sp.EndColumn - sp.Column
			if sp.EndLine != sp.Line {
				width = len([]rune(line)) - sp.Column + 1
			}
			if len(line) > 300 {
				continue // a minified line would flood the terminal
			}
			fmt.Fprintf(r.stdout, "  %s\n  %s%s\n", line, strings.Repeat(" ", sp.Column-1),
				paint(severityColor[f.Severity], "^"+strings.Repeat("~", max(width-1, 0))))
		}
	}
	var parts []string
	for s := analysis.Critical; s >= analysis.Hint; s-- {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
		}
	}
	summary := fmt.Sprintf("%s in %s (%s checked)", plural(total, "finding"), plural(files, "file"), plural(objects, "object"))
	if len(parts) > 0 {
		summary = fmt.Sprintf("%s (%s) in %s (%s checked)", plural(total, "finding"), strings.Join(parts, ", "), plural(files, "file"), plural(objects, "object"))
	}
	if suppressed > 0 {
		summary += fmt.Sprintf(", %d suppressed", suppressed)
	}
	_, err := fmt.Fprintln(r.stdout, summary)
	return err
}

// catalog returns the rule catalog for reports: the union of the catalogs of every
// configuration the checked files used (workspace.Catalog says which definition of a rule
// two of them define differently wins), or the current directory's when no file was checked.
func (r report) catalog() ([]analysis.Rule, error) {
	if len(r.workspace.Engines()) == 0 {
		v, err := r.workspace.Govern(context.Background(), r.workspace.ScopeOfDir("."), "")
		if err == nil {
			err = v.Err
		}
		if err != nil {
			return nil, err
		}
	}
	return r.workspace.Catalog(), nil
}

// plural is "1 finding", "2 findings": every noun the summaries count takes a plain -s.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
