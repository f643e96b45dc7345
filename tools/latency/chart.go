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
	"strings"
	"time"

	"go.lsp.dev/protocol"
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

// typingSite is where to type in text: the end of the first line matching re.
func typingSite(text string, re *regexp.Regexp) (protocol.Position, error) {
	for i, l := range strings.Split(text, "\n") {
		if re.MatchString(l) {
			return protocol.Position{Line: uint32(i), Character: utf16Len(strings.TrimRight(l, " \r"))}, nil
		}
	}
	return protocol.Position{}, fmt.Errorf("no line matches %s", re)
}

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
// matching site.
func chartKeystrokes(path string, site *regexp.Regexp) (*result, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(abs)
	if err != nil {
		return nil, err
	}
	at, err := typingSite(string(data), site)
	if err != nil {
		return nil, err
	}
	s, err := start()
	if err != nil {
		return nil, err
	}
	defer func() { _ = s.Stop() }()
	u := uri.File(abs)
	res := &result{}
	t0 := time.Now()
	if err := s.Server.DidOpen(s.Ctx, &protocol.DidOpenTextDocumentParams{TextDocument: protocol.TextDocumentItem{URI: u, LanguageID: "helm", Version: 1, Text: string(data)}}); err != nil {
		return nil, err
	}
	if _, err := s.WaitVersion(u, 1); err != nil {
		return nil, err
	}
	res.first = time.Since(t0)
	version := int32(1)
	cpu0 := lsptest.CPUTime(s.Pid())
	for i := range *editsFlag {
		version++
		change := &protocol.TextDocumentContentChangePartial{Text: "x", Range: protocol.Range{Start: at, End: at}}
		if i%2 == 1 {
			change.Text = ""
			change.Range.End.Character++
		}
		t := time.Now()
		if err := s.Server.DidChange(s.Ctx, &protocol.DidChangeTextDocumentParams{
			TextDocument:   protocol.VersionedTextDocumentIdentifier{TextDocumentIdentifier: protocol.TextDocumentIdentifier{URI: u}, Version: version},
			ContentChanges: []protocol.TextDocumentContentChangeEvent{change},
		}); err != nil {
			return nil, err
		}
		if _, err := s.WaitVersion(u, version); err != nil {
			return nil, err
		}
		res.times = append(res.times, time.Since(t))
	}
	res.cpu = lsptest.CPUTime(s.Pid()) - cpu0
	res.server = s.ServerTimes(u, false)
	return res, nil
}
