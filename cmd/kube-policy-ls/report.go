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

// paint colours s with an ANSI code when the report is coloured.
func (r report) paint(code, s string) string {
	if !r.color {
		return s
	}
	return code + s + "\x1b[0m"
}

// text prints findings like a compiler, then a summary line.
func (r report) text() error {
	lines := fileLines{}
	for _, c := range r.results {
		if p := c.placedFindings(); p != nil {
			for _, f := range p.shown(r.showSuppressed) {
				line, ok := lines.line(f.source, f.span.Line)
				r.textFinding(&f.Finding, f.file, f.span, f.note(), line, ok)
			}
			continue
		}
		if c.result == nil {
			continue
		}
		m := c.result.Mapper
		for _, f := range r.shown(c.result, r.showSuppressed) {
			sp := spanOf(m, f.Range)
			line := strings.ReplaceAll(m.Line(sp.Line-1), "\t", " ")
			r.textFinding(&f, c.src.path, sp, overlayNote(c.overlaysOf(f)), line, true)
		}
	}
	t := tallyOf(r.results)
	var parts []string
	for s := analysis.Critical; s >= analysis.Hint; s-- {
		if t.bySeverity[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", t.bySeverity[s], s))
		}
	}
	summary := fmt.Sprintf("%s in %s (%s checked)", plural(t.findings, "finding"), plural(t.files, "file"), plural(t.objects, "object"))
	if len(parts) > 0 {
		summary = fmt.Sprintf("%s (%s) in %s (%s checked)", plural(t.findings, "finding"), strings.Join(parts, ", "), plural(t.files, "file"), plural(t.objects, "object"))
	}
	if t.suppressed > 0 {
		summary += fmt.Sprintf(", %d suppressed", t.suppressed)
	}
	_, err := fmt.Fprintln(r.stdout, summary)
	return err
}

// textFinding prints one finding: "file:line:col: severity rule: message note", then line,
// the source line it is on, with a caret under its span; not when quoted is false (the line
// could not be read).
func (r report) textFinding(f *analysis.Finding, file string, sp span, note, line string, quoted bool) {
	msg := f.Message + note
	if f.Suppressed != nil {
		msg += fmt.Sprintf(" [suppressed by %s: %s]", f.Suppressed.By, f.Suppressed.Reason)
	}
	fmt.Fprintf(r.stdout, "%s: %s %s: %s\n",
		r.paint("\x1b[1m", fmt.Sprintf("%s:%d:%d", file, sp.Line, sp.Column)),
		r.paint(severityColor[f.Severity], f.Severity.String()), r.paint("\x1b[2m", f.Rule), msg)
	if !quoted || len(line) > 300 {
		return // a minified line would flood the terminal
	}
	width := sp.EndColumn - sp.Column
	if sp.EndLine != sp.Line {
		width = len([]rune(line)) - sp.Column + 1
	}
	fmt.Fprintf(r.stdout, "  %s\n  %s%s\n", line, strings.Repeat(" ", max(sp.Column-1, 0)),
		r.paint(severityColor[f.Severity], "^"+strings.Repeat("~", max(width-1, 0))))
}

// tally is what the summaries count: the files checked (a chart or an overlay is one), their
// objects, and their reported findings (by severity too) and suppressed ones.
type tally struct {
	files, objects, findings, suppressed int
	bySeverity                           map[analysis.Severity]int
}

func tallyOf(results []checked) tally {
	t := tally{bySeverity: map[analysis.Severity]int{}}
	add := func(objects, suppressed int) {
		t.files++
		t.objects += objects
		t.suppressed += suppressed
	}
	for _, c := range results {
		if p := c.placedFindings(); p != nil {
			add(p.objects, len(p.suppressed))
			for _, f := range p.findings {
				t.bySeverity[f.Severity]++
			}
			t.findings += len(p.findings)
		} else if c.result != nil {
			add(c.result.Objects, len(c.result.Suppressed))
			for _, f := range c.result.Findings {
				t.bySeverity[f.Severity]++
			}
			t.findings += len(c.result.Findings)
		}
	}
	return t
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
