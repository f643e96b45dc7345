package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/workspace"
	"github.com/kube-policy-ls/kube-policy-ls/internal/parallel"
)

func init() {
	commands["check"] = command{"check manifests (files, directories, - for stdin)", runCheck}
}

// checkOptions are the flags of the check command.
type checkOptions struct {
	format        string
	profile       string
	configPath    string
	failOn        analysis.Severity
	color         string
	showSupp      bool
	baseline      string   // --baseline: report only findings not in this file (baseline.go)
	writeBaseline string   // --write-baseline: record the current findings there
	fix           bool     // --fix: write the fixes (fix.go)
	dryRun        bool     // --dry-run: with --fix, print them as a diff instead
	values        listFlag // --values: values files for the charts checked (chart.go)
	set           listFlag // --set: key=value pairs for the charts checked
	kustomize     bool     // --kustomize: build the Kustomize overlays found (kustomize.go)
}

// checked is the outcome for one file.
type checked struct {
	src      source
	text     string
	result   *analysis.Result
	err      error
	excluded bool            // an exclude pattern names the file: it was not read
	chart    *chartChecked   // a chart, rendered and checked (chart.go); result is then nil
	overlay  *overlayChecked // a Kustomize overlay, built and checked (kustomize.go)
	// inOverlays are, for a file checked on its own, the overlays that build its findings
	inOverlays map[overlayKey][]string
}

func runCheck(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("check", flag.ContinueOnError)
	fl.SetOutput(stderr)
	var opts checkOptions
	var failOn string
	fl.StringVar(&opts.format, "format", "text", "output format: text, json or sarif")
	fl.StringVar(&opts.profile, "profile", "", "rule profile: default, recommended, all, pss-baseline or pss-restricted (overrides the config)")
	fl.StringVar(&opts.configPath, "config", "", "configuration file (default: the nearest "+analysis.ConfigFileName+" above each file)")
	fl.StringVar(&failOn, "fail-on", "low", "exit 1 when a finding has this severity or higher: critical, high, medium, low, info or hint (suppressed findings never count)")
	fl.StringVar(&opts.color, "color", "auto", "colour text output: auto, always or never")
	fl.BoolVar(&opts.showSupp, "show-suppressed", false, "list suppressed findings in text output too (JSON and SARIF always include them, marked)")
	fl.StringVar(&opts.baseline, "baseline", "", "report only findings that are not in this baseline file (matched by file, rule, object and path, not line)")
	fl.StringVar(&opts.writeBaseline, "write-baseline", "", "record the current findings in this baseline file and exit 0")
	fl.BoolVar(&opts.fix, "fix", false, "apply the fix of every fixable finding to the files, then report what remains")
	fl.BoolVar(&opts.dryRun, "dry-run", false, "with --fix: print the fixes as a unified diff instead of writing them")
	fl.Var(&opts.values, "values", "a values file for the Helm charts checked (repeatable; after the configuration's helm.values)")
	fl.Var(&opts.set, "set", "a key=value pair for the Helm charts checked, as helm --set (repeatable)")
	fl.BoolVar(&opts.kustomize, "kustomize", true, "build each Kustomize overlay found (a directory with a kustomization.yaml) and check what it builds; false checks the files one by one")
	fl.Usage = func() {
		fmt.Fprintln(stderr, "Usage: kube-policy-ls check [flags] PATH...\n\nChecks manifests; directories are walked for *.yaml and *.yml, - reads stdin.\nA directory with a Chart.yaml is a Helm chart: it is rendered and checked as rendered.\nA directory with a kustomization.yaml is a Kustomize overlay: it is built and checked as built.\nExit status: 0 no finding at or above --fail-on, 1 findings, 2 usage or I/O error.\n\nFlags:")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	sev, err := analysis.ParseSeverity(failOn)
	if err != nil {
		fmt.Fprintf(stderr, "kube-policy-ls check: --fail-on: %v\n", err)
		return 2
	}
	opts.failOn = sev
	if opts.format != "text" && opts.format != "json" && opts.format != "sarif" {
		fmt.Fprintf(stderr, "kube-policy-ls check: --format %q: want text, json or sarif\n", opts.format)
		return 2
	}
	if opts.dryRun && !opts.fix {
		fmt.Fprintln(stderr, "kube-policy-ls check: --dry-run needs --fix")
		return 2
	}
	if fl.NArg() == 0 {
		fl.Usage()
		return 2
	}
	sources, err := collect(fl.Args())
	if err != nil {
		fmt.Fprintf(stderr, "kube-policy-ls check: %v\n", err)
		return 2
	}
	var known map[string]bool
	if opts.baseline != "" {
		if known, err = readBaseline(opts.baseline); err != nil {
			fmt.Fprintf(stderr, "kube-policy-ls check: %v\n", err)
			return 2
		}
	}
	tuneGC(0)
	ctx := context.Background()
	ws := newWorkspace(ctx, opts)
	sources = selectOverlays(ctx, sources, ws, opts)
	results := checkAll(ctx, sources, stdin, ws, opts)
	results = dropExcluded(results, stderr)
	mergeOverlays(results)
	if opts.writeBaseline != "" {
		n, err := writeBaseline(opts.writeBaseline, results)
		if err != nil {
			fmt.Fprintf(stderr, "kube-policy-ls check: writing baseline: %v\n", err)
			return 2
		}
		fmt.Fprintf(stderr, "kube-policy-ls check: %d findings recorded in %s\n", n, opts.writeBaseline)
		return 0
	}
	if known != nil {
		if n := applyBaseline(known, results); n > 0 {
			fmt.Fprintf(stderr, "kube-policy-ls check: %d known findings from %s not shown\n", n, opts.baseline)
		}
	}
	if opts.fix {
		var sum fixSummary
		results, sum = fixFiles(ctx, results, ws, opts.dryRun, stdout)
		printFixSummary(stderr, sum, opts.dryRun)
		mergeOverlays(results) // the overlays were built again
	}

	code := 0
	for _, r := range results {
		if r.err != nil {
			fmt.Fprintf(stderr, "kube-policy-ls check: %v\n", r.err)
			code = 2
		}
	}
	// a broken custom policy is a configuration error: report it like a compiler would
	if perrs := policyErrors(ws, results); len(perrs) > 0 {
		for _, pe := range perrs {
			fmt.Fprintf(stderr, "%s: error: %s\n", fmt.Sprintf("%s:%d:%d", pe.File, pe.Line, pe.Column), pe.Msg)
		}
		code = 2
	}
	if opts.fix && opts.dryRun { // the diff was the output; the exit status is for what would remain
		if code == 0 && failing(results, opts.failOn) {
			code = 1
		}
		return code
	}
	// buffered: text reports write three short lines per finding, a write(2) each otherwise
	out := bufio.NewWriterSize(stdout, 64<<10)
	rep := report{results: results, workspace: ws, stdout: out, color: useColor(opts.color, stdout), showSuppressed: opts.showSupp}
	switch opts.format {
	case "json":
		err = rep.json()
	case "sarif":
		err = rep.sarif()
	default:
		err = rep.text()
	}
	if flushErr := out.Flush(); err == nil {
		err = flushErr
	}
	if err != nil {
		fmt.Fprintf(stderr, "kube-policy-ls check: writing report: %v\n", err)
		return 2
	}
	if code == 0 && failing(results, opts.failOn) {
		code = 1
	}
	return code
}

// newWorkspace is the workspace of a check: --config governs every file instead of the
// nearest configuration file, and --profile is an overlay on each configuration.
func newWorkspace(ctx context.Context, opts checkOptions) *workspace.Workspace {
	ws := workspace.New(ctx, workspace.Options{ConfigFile: opts.configPath})
	if opts.profile != "" {
		ws.SetOverlay(analysis.Config{Profile: opts.profile})
	}
	return ws
}

// checkAll analyses the sources on every core, keeping their order.
func checkAll(ctx context.Context, sources []source, stdin io.Reader, ws *workspace.Workspace, opts checkOptions) []checked {
	out := make([]checked, len(sources))
	parallel.Each(len(sources), func(i int) { out[i] = checkOne(ctx, sources[i], stdin, ws, opts) })
	return out
}

func checkOne(ctx context.Context, src source, stdin io.Reader, ws *workspace.Workspace, opts checkOptions) checked {
	if src.chart != "" {
		return checkChart(ctx, src, ws, opts)
	}
	if src.overlay != "" {
		return checkOverlay(ctx, src, ws)
	}
	c := checked{src: src}
	v, err := govern(ctx, ws, src)
	switch {
	case err != nil:
		c.err = err
		return c
	case v.Excluded:
		c.excluded = true
		return c
	}
	text, err := src.read(stdin)
	if err != nil {
		c.err = err
		return c
	}
	c.text = text
	c.result, c.err = v.Engine.Analyze(ctx, analysis.Input{Path: src.path, Text: text, Helm: src.helm}, nil)
	if c.result != nil {
		// every result is held until the report: without their parsed YAML (kept only where
		// --fix or SARIF's fixes need it) they are a fraction of the memory, and of the page
		// faults
		if opts.fix || opts.format == "sarif" {
			c.result.Compact()
		} else {
			c.result.CompactForReport()
		}
	}
	return c
}

// govern asks the workspace what governs a source: standard input is governed as a file of
// the current directory that no pattern excludes. A configuration that cannot be used is an
// error: the editor goes on with the last good one, a check has none.
func govern(ctx context.Context, ws *workspace.Workspace, src source) (workspace.Verdict, error) {
	var v workspace.Verdict
	var err error
	if src.path == "-" {
		v, err = ws.Govern(ctx, ws.ScopeOfDir("."), "")
	} else {
		v, err = ws.File(ctx, src.path)
	}
	if err == nil && v.Err != nil {
		err = v.Err
	}
	if err == nil && v.Engine == nil {
		err = fmt.Errorf("no engine for %s", src.path)
	}
	return v, err
}

// dropExcluded leaves out the files that an exclude pattern names. Found by walking a
// directory, they are dropped silently; named on the command line, they are not checked
// either, but the user is told why on stderr, as eslint does: the pattern may be the
// surprise.
func dropExcluded(results []checked, stderr io.Writer) []checked {
	out := results[:0]
	for _, r := range results {
		switch {
		case !r.excluded:
			out = append(out, r)
		case r.src.named:
			fmt.Fprintf(stderr, "kube-policy-ls check: %s: file ignored because of a matching exclude pattern\n", r.src.path)
		}
	}
	return out
}

// policyErrors gathers the custom policy problems of every engine and file, once each.
func policyErrors(ws *workspace.Workspace, results []checked) []analysis.PolicyError {
	seen := map[analysis.PolicyError]bool{}
	var out []analysis.PolicyError
	add := func(pes []analysis.PolicyError) {
		for _, pe := range pes {
			if !seen[pe] {
				seen[pe] = true
				out = append(out, pe)
			}
		}
	}
	for _, e := range ws.Engines() {
		add(e.PolicyErrors())
	}
	for _, r := range results {
		if r.result != nil {
			add(r.result.PolicyErrors)
		}
	}
	return out
}

// failing reports whether any finding reaches the threshold.
func failing(results []checked, threshold analysis.Severity) bool {
	for _, r := range results {
		if p := r.placedFindings(); p != nil && slices.ContainsFunc(p.findings, func(f placedFinding) bool { return f.Severity >= threshold }) {
			return true
		}
		if r.result == nil {
			continue
		}
		for _, f := range r.result.Findings {
			if f.Severity >= threshold {
				return true
			}
		}
	}
	return false
}
