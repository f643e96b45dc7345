package main

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"time"

	"go.lsp.dev/uri"

	"github.com/kube-policy-ls/kube-policy-ls/internal/lsptest"
)

// Helm charts: a keystroke in a chart file renders the whole chart again. For each shared
// chart the harness opens a workload template and the chart's values.yaml in a fresh server
// and types into each (one character typed, then removed): into the value of the first
// image repository in values.yaml, and at the end of the template's apiVersion line. Every
// keystroke is published on the typed file (an open chart file gets the diagnostics of each
// version), so each is timed to its publication.

var (
	chartsFlag     = flag.String("charts", "../shared/charts", "the shared Helm charts (\"\": no chart scenarios)")
	chartsOnlyFlag = flag.Bool("charts-only", false, "run the chart scenarios only")
)

// chartDirs are the applications among the shared charts (library charts do not render).
func chartDirs(root string) ([]string, error) {
	var out []string
	entries, err := filepath.Glob(filepath.Join(root, "*", "*", "Chart.yaml"))
	if err != nil {
		return nil, err
	}
	for _, p := range entries {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		if !regexp.MustCompile(`(?m)^type:\s*library`).Match(data) {
			out = append(out, filepath.Dir(p))
		}
	}
	return out, nil
}

// workloadTemplate is the chart's first template (in path order) named for a workload.
func workloadTemplate(dir string) (string, error) {
	var found []string
	err := filepath.WalkDir(filepath.Join(dir, "templates"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && regexp.MustCompile(`(deploy|statefulset|daemonset)[^/]*\.yaml$`).MatchString(p) {
			found = append(found, p)
		}
		return err
	})
	if err != nil {
		return "", err
	}
	if len(found) == 0 {
		return "", errors.New("no workload template")
	}
	slices.Sort(found)
	return found[0], nil
}

var (
	repositoryLine = regexp.MustCompile(`^\s*repository:\s*[A-Za-z0-9./_-]+\s*$`)
	apiVersionLine = regexp.MustCompile(`^apiVersion:`)
)

func chartScenarios() error {
	dirs, err := chartDirs(*chartsFlag)
	if err != nil {
		return err
	}
	if len(dirs) == 0 {
		return fmt.Errorf("no charts under %s", *chartsFlag)
	}
	fmt.Println("\nHelm charts: a keystroke in a chart file to the diagnostics of that version (the whole chart rendered and checked again)")
	fmt.Println()
	fmt.Println("| chart | file typed into | keystrokes | first diagnostics | server p50 | server p95 | server max | client p50 | client p95 | server CPU per keystroke |")
	fmt.Println("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, dir := range dirs {
		tpl, err := workloadTemplate(dir)
		if err != nil {
			return fmt.Errorf("%s: %w", dir, err)
		}
		for _, c := range []struct {
			file string
			site *regexp.Regexp
		}{{filepath.Join(dir, "values.yaml"), repositoryLine}, {tpl, apiVersionLine}} {
			r, err := chartKeystrokes(c.file, c.site)
			if err != nil {
				return fmt.Errorf("%s: %w", c.file, err)
			}
			rel, _ := filepath.Rel(dir, c.file)
			fmt.Printf("| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s |\n", filepath.Base(dir), rel, len(r.times), lsptest.Ms(r.first),
				lsptest.Ms(lsptest.Pct(r.server, 50)), lsptest.Ms(lsptest.Pct(r.server, 95)), lsptest.Ms(lsptest.Pct(r.server, 100)),
				lsptest.Ms(lsptest.Pct(r.times, 50)), lsptest.Ms(lsptest.Pct(r.times, 95)), lsptest.Ms(r.cpu/time.Duration(max(len(r.times), 1))))
		}
	}
	return nil
}

// chartKeystrokes opens a chart file in a fresh server and types at the end of the first line
// matching site, each keystroke waited for until the file's diagnostics of its version are
// published.
func chartKeystrokes(path string, site *regexp.Regexp) (*result, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	return siteTyping{path: abs, language: "helm", site: site, answers: func(s *lsptest.Session, u uri.URI) answers {
		return published{s, u}
	}}.run()
}
