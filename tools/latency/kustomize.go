package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"go.lsp.dev/uri"

	"github.com/kube-policy-ls/kube-policy-ls/analysis/kustomize"
	"github.com/kube-policy-ls/kube-policy-ls/internal/lsptest"
)

// Kustomize overlays: a keystroke in a file that overlays read builds and checks each of
// them again, and merges their findings into the file's diagnostics. In a fresh server whose
// workspace folder is the shared microservices-demo, the harness types into a base resource
// (the end of its first image line) and into a component's kustomization (the end of an env
// name in an inline patch), one character typed then removed, and times each keystroke to
// the last of its overlays merged (the server's "overlay merged" debug log, one per overlay
// that reads the file).

var (
	kustomizeFlag     = flag.String("kustomize", "../shared/kustomize/microservices-demo", "the shared Kustomize demo (\"\": no overlay scenarios)")
	kustomizeOnlyFlag = flag.Bool("kustomize-only", false, "run the overlay scenarios only")
)

func kustomizeScenarios() error {
	dir, err := filepath.Abs(*kustomizeFlag)
	if err != nil {
		return err
	}
	fmt.Println("\nKustomize overlays: a keystroke to its overlays built, checked and merged into the diagnostics (server time, the last overlay)")
	fmt.Println()
	fmt.Println("| file typed into | overlays reading it | keystrokes | first (open to all merged) | server p50 | server p95 | server max | server CPU per keystroke |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|---:|")
	var notes []string
	for _, c := range []struct {
		file string
		site *regexp.Regexp
	}{
		{"base/frontend.yaml", regexp.MustCompile(`^\s*image:\s*\S+\s*$`)},
		{"components/google-cloud-operations/kustomization.yaml", regexp.MustCompile(`^\s*- name: COLLECTOR_SERVICE_ADDR\s*$`)},
	} {
		r, n, waited, err := overlayKeystrokes(dir, filepath.Join(dir, filepath.FromSlash(c.file)), c.site)
		if err != nil {
			return fmt.Errorf("%s: %w", c.file, err)
		}
		fmt.Printf("| %s | %d | %d | %s | %s | %s | %s | %s |\n", c.file, n, len(r.server), lsptest.Ms(r.first),
			lsptest.Ms(lsptest.Pct(r.server, 50)), lsptest.Ms(lsptest.Pct(r.server, 95)), lsptest.Ms(lsptest.Pct(r.server, 100)),
			lsptest.Ms(r.cpu/time.Duration(max(len(r.server), 1))))
		if waited[0] > 0 {
			notes = append(notes, fmt.Sprintf("%s: %d of %d overlay checks waited for a save (the overlay's last two checks took over 200 ms each); the times are of the others", c.file, waited[0], waited[1]))
		}
	}
	for _, n := range notes {
		fmt.Println("\n" + n)
	}
	return nil
}

// overlaysReading counts the overlay roots under dir that read file.
func overlaysReading(dir, file string) (int, error) {
	roots, err := kustomize.Roots(dir, nil)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, root := range roots {
		if kustomize.Load(root, nil).Uses(file) {
			n++
		}
	}
	return n, nil
}

// mergeLog follows the server's debug log for its "overlay merged" lines: a version of the
// typed file is answered once each of the n overlays that read it has merged, and its
// server time is the largest of theirs. An overlay the server checks on save only (its last
// two checks were slow: on a loaded machine) logs that it waits for the save instead, and is
// counted in waited, not timed.
type mergeLog struct {
	path   string
	n      int
	offset int64
	times  []time.Duration // of the versions after the first
	waited int             // overlay checks of versions after the first that waited for a save
	checks int             // overlay checks of versions after the first
}

func (l *mergeLog) wait(version int32) error {
	took, waited, err := l.merged()
	if err == nil && version > 1 {
		if waited < l.n { // one merged at least
			l.times = append(l.times, took)
		}
		l.waited += waited
		l.checks += l.n
	}
	return err
}

func (l *mergeLog) serverTimes() []time.Duration { return l.times }

// merged returns once n more overlays have merged or waited for a save, with the largest of
// the merged ones' times and how many waited.
func (l *mergeLog) merged() (worst time.Duration, waited int, err error) {
	deadline := time.Now().Add(time.Minute)
	for n := l.n; n > 0; {
		data, err := os.ReadFile(l.path)
		if err != nil {
			return 0, 0, err
		}
		fresh := data[min(l.offset, int64(len(data))):]
		end := bytes.LastIndexByte(fresh, '\n') + 1 // whole lines only
		for _, line := range bytes.Split(fresh[:end], []byte("\n")) {
			i := bytes.IndexByte(line, '{')
			if i >= 0 && bytes.Contains(line, []byte("\toverlay waits for the save\t")) {
				waited++
				n--
				continue
			}
			if i < 0 || !bytes.Contains(line, []byte("\toverlay merged\t")) {
				continue
			}
			var f struct {
				Since float64 `json:"sinceChangeMs"`
			}
			if json.Unmarshal(line[i:], &f) == nil {
				worst = max(worst, time.Duration(f.Since*float64(time.Millisecond)))
				n--
			}
		}
		l.offset += int64(end)
		if n > 0 {
			if time.Now().After(deadline) {
				return 0, 0, fmt.Errorf("%d overlays not merged within a minute", n)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	return worst, waited, nil
}

// overlayKeystrokes opens path in a fresh server on dir and types at the end of the first
// line matching site, each keystroke waited for until every overlay reading path merged;
// waited is how many overlay checks waited for a save instead, of how many.
func overlayKeystrokes(dir, path string, site *regexp.Regexp) (r *result, n int, waited [2]int, err error) {
	n, err = overlaysReading(dir, path)
	if err != nil || n == 0 {
		return nil, 0, waited, fmt.Errorf("no overlay reads it (%v)", err)
	}
	var log *mergeLog
	r, err = siteTyping{folder: dir, path: path, language: "yaml", site: site, answers: func(s *lsptest.Session, _ uri.URI) answers {
		log = &mergeLog{path: s.LogPath, n: n}
		return log
	}}.run()
	if log != nil {
		waited = [2]int{log.waited, log.checks}
	}
	return r, n, waited, err
}
