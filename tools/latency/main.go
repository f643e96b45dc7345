// Command latency measures the language server as an editor sees it: it runs the built binary,
// talks to it over stdio with Content-Length framing, and reports the time from each
// single-character didChange to the publishDiagnostics of that version, the time to the
// first diagnostics of a large file, the start-up time and the memory with the largest corpus
// files open. `make bench-lsp` runs it; BENCHMARKS.md records its figures.
//
// The server runs with debounceMs 0, so the times exclude the debounce delay; its debug log
// gives its own share (change read to diagnostics written). Each edit appends a character to,
// or removes it from, a container's name, which every finding about that container quotes:
// each edit changes the diagnostics and is published.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/kube-policy-ls/kube-policy-ls/internal/lsptest"
)

var (
	binFlag    = flag.String("bin", "bin/kube-policy-ls", "the server binary")
	corpusFlag = flag.String("corpus", "../shared/corpus", "the corpus directory (with INDEX.tsv)")
	editsFlag  = flag.Int("edits", 300, "keystrokes per scenario")
	startsFlag = flag.Int("starts", 15, "server starts to time")
)

// typical are manifests of at most 300 lines; large is the 35,780-line, 70-document file.
var (
	typical = []string{
		"prometheus-operator__kube-prometheus/manifests__grafana-deployment.yaml",
		"flannel-io__flannel/Documentation__kube-flannel.yml",
		"kubernetes__examples/_archived__cockroachdb__cockroachdb-statefulset.yaml",
		"GoogleCloudPlatform__microservices-demo/kubernetes-manifests__cartservice.yaml",
	}
	large = "argoproj__argo-cd/manifests__ha__install.yaml"
)

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "latency:", err)
		os.Exit(1)
	}
}

func run() error {
	if _, err := os.Stat(*binFlag); err != nil {
		return fmt.Errorf("server binary: %w (run make build first)", err)
	}
	if _, err := os.Stat(filepath.Join(*corpusFlag, "INDEX.tsv")); err != nil {
		return fmt.Errorf("corpus: %w", err)
	}
	fmt.Printf("kube-policy-ls language server latency, %s, %d CPUs, %s\n\n", runtime.Version(), runtime.NumCPU(), lsptest.CPUModel())
	if *chartsOnlyFlag {
		return chartScenarios()
	}
	if *kustomizeOnlyFlag {
		return kustomizeScenarios()
	}

	fmt.Println("| scenario | lines | documents | keystrokes | server p50 | server p95 | server max | client p50 | client p95 | client max | server CPU per keystroke |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	all := &result{lines: -1}
	for _, name := range typical {
		r, err := keystrokes(name, false)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		all.times, all.server, all.cpu = append(all.times, r.times...), append(all.server, r.server...), all.cpu+r.cpu
		r.print("typical: " + filepath.Base(name))
	}
	all.print("typical, all four files")
	r, err := keystrokes(large, false)
	if err != nil {
		return fmt.Errorf("%s: %w", large, err)
	}
	r.print("35,780-line file, in a Deployment")
	first := r.first
	r, err = keystrokes(large, true)
	if err != nil {
		return fmt.Errorf("%s: %w", large, err)
	}
	r.print("35,780-line file, in a 23,482-line CRD (pull; server: analysis only)")
	r, err = keystrokesAt(typical[0], inUnreadFields)
	if err != nil {
		return fmt.Errorf("%s: %w", typical[0], err)
	}
	r.print("typical: " + filepath.Base(typical[0]) + ", in fields no rule reads (pull; server: analysis only)")

	fmt.Printf("\nFirst diagnostics after didOpen of the 35,780-line file (fresh server): %s\n", lsptest.Ms(first))
	starts, err := startup()
	if err != nil {
		return err
	}
	fmt.Printf("Start-up to the initialize reply (%d starts): p50 %s, max %s\n", len(starts), lsptest.Ms(lsptest.Pct(starts, 50)), lsptest.Ms(lsptest.Pct(starts, 100)))
	if err := memory(); err != nil {
		return err
	}
	if *chartsFlag != "" {
		if err := chartScenarios(); err != nil {
			return err
		}
	}
	if *kustomizeFlag == "" {
		return nil
	}
	return kustomizeScenarios()
}

type result struct {
	lines, docs int
	times       []time.Duration // the client's: didChange sent to publishDiagnostics read
	server      []time.Duration // the server's: didChange read to publishDiagnostics written
	cpu         time.Duration   // the server process's CPU time over all the keystrokes
	first       time.Duration   // didOpen to the first diagnostics
}

func (r *result) print(label string) {
	lines, docs := strconv.Itoa(r.lines), strconv.Itoa(r.docs)
	if r.lines < 0 {
		lines, docs = "", ""
	}
	fmt.Printf("| %s | %s | %s | %d | %s | %s | %s | %s | %s | %s | %s |\n", label, lines, docs, len(r.times),
		lsptest.Ms(lsptest.Pct(r.server, 50)), lsptest.Ms(lsptest.Pct(r.server, 95)), lsptest.Ms(lsptest.Pct(r.server, 100)),
		lsptest.Ms(lsptest.Pct(r.times, 50)), lsptest.Ms(lsptest.Pct(r.times, 95)), lsptest.Ms(lsptest.Pct(r.times, 100)), lsptest.Ms(r.cpu/time.Duration(max(len(r.times), 1))))
}

// where is what a scenario types into.
type where int

const (
	inContainerName where = iota // a container's name, which findings quote: diagnostics change
	inCRD                        // a description in a large CRD: diagnostics do not change
	inUnreadFields               // an image, a label, a mount path: diagnostics do not change
)

// keystrokes types into container names, or into a CRD's description when crd.
func keystrokes(name string, crd bool) (*result, error) {
	if crd {
		return keystrokesAt(name, inCRD)
	}
	return keystrokesAt(name, inContainerName)
}

// unreadFields are the lines typed into by inUnreadFields, in turn: fields no rule of the
// default profile reads.
var unreadFields = []*regexp.Regexp{
	regexp.MustCompile(`^\s+image: \S+$`),
	regexp.MustCompile(`^\s+app\.kubernetes\.io/version: \S+$`),
	regexp.MustCompile(`^\s+- mountPath: \S+$`),
}

// keystrokesAt opens a corpus file in a fresh server and types into it. Where the
// diagnostics do not change, each keystroke is timed to the answer of a pull
// (textDocument/diagnostic) sent right after it instead.
func keystrokesAt(name string, at where) (*result, error) {
	pull := at != inContainerName
	text, err := os.ReadFile(filepath.Join(*corpusFlag, name))
	if err != nil {
		return nil, err
	}
	s, err := start("")
	if err != nil {
		return nil, err
	}
	defer func() { _ = s.Stop() }()
	u := uri.File(filepath.Join("/corpus", name))
	lines := strings.Split(string(text), "\n")
	res := &result{lines: len(lines), docs: strings.Count(string(text), "\n---")}
	if !strings.HasPrefix(string(text), "---") {
		res.docs++
	}
	t0 := time.Now()
	if err := s.Server.DidOpen(s.Ctx, &protocol.DidOpenTextDocumentParams{TextDocument: protocol.TextDocumentItem{URI: u, LanguageID: "yaml", Version: 1, Text: string(text)}}); err != nil {
		return nil, err
	}
	diags, err := s.WaitVersion(u, 1)
	if err != nil {
		return nil, err
	}
	res.first = time.Since(t0)

	sites, err := editSites(lines, diags, at)
	if err != nil {
		return nil, err
	}
	version := int32(1)
	// type sends one keystroke at site: a character, or the removal of the one typed before.
	typeAt := func(site protocol.Position, remove bool) error {
		version++
		return keystroke(s, u, version, site, remove)
	}
	site := sites[0]
	if !pull { // the first site whose name the diagnostics follow
		found := false
		for _, site = range sites {
			if err := typeAt(site, false); err != nil {
				return nil, err
			}
			_, err := s.WaitVersionWithin(u, version, 3*time.Second)
			if err := typeAt(site, true); err != nil {
				return nil, err
			}
			if err == nil {
				found = true
				break
			}
		}
		if !found {
			return nil, errors.New("no container name whose edits change the diagnostics")
		}
		if _, err := s.WaitVersion(u, version); err != nil {
			return nil, err
		}
	}
	cpu0 := lsptest.CPUTime(s.Pid())
	for i := range *editsFlag {
		if at == inUnreadFields { // a character typed and removed at each site in turn
			site = sites[(i/2)%len(sites)]
		}
		t := time.Now()
		if err := typeAt(site, i%2 == 1); err != nil {
			return nil, err
		}
		if pull {
			if _, err := s.Server.Diagnostic(s.Ctx, &protocol.DocumentDiagnosticParams{TextDocument: protocol.TextDocumentIdentifier{URI: u}}); err != nil {
				return nil, err
			}
		} else if _, err := s.WaitVersion(u, version); err != nil {
			return nil, err
		}
		res.times = append(res.times, time.Since(t))
	}
	res.cpu = lsptest.CPUTime(s.Pid()) - cpu0
	res.server = s.ServerTimes(u, pull)
	if !pull && len(res.server) > len(res.times) { // the probes of edit sites come first
		res.server = res.server[len(res.server)-len(res.times):]
	}
	return res, nil
}

var quotedContainer = regexp.MustCompile(`container "([A-Za-z0-9._-]+)"`)

// editSites are where to type: the ends of the names of containers that diagnostics quote,
// the nearest the middle of the file first, a description line inside the first large CRD, or
// the ends of the first line of each of unreadFields.
func editSites(lines []string, diags []protocol.Diagnostic, at where) ([]protocol.Position, error) {
	if at == inUnreadFields {
		var out []protocol.Position
		for _, field := range unreadFields {
			for i, l := range lines {
				if field.MatchString(strings.TrimRight(l, "\r")) {
					out = append(out, protocol.Position{Line: uint32(i), Character: utf16Len(strings.TrimRight(l, "\r"))})
					break
				}
			}
		}
		if len(out) != len(unreadFields) {
			return nil, errors.New("not every unread field was found")
		}
		return out, nil
	}
	if at == inCRD {
		for i, l := range lines {
			if i > 1000 && strings.Contains(l, "description:") {
				return []protocol.Position{{Line: uint32(i), Character: utf16Len(l)}}, nil
			}
		}
		return nil, errors.New("no CRD description line")
	}
	var candidates []int
	for _, d := range diags {
		msg, _ := d.Message.(protocol.String)
		m := quotedContainer.FindStringSubmatch(string(msg))
		if m == nil {
			continue
		}
		nameLine := regexp.MustCompile(`^\s*(- )?name: ` + regexp.QuoteMeta(m[1]) + `\s*$`)
		// The container's own name follows its entry, where the diagnostics of missing
		// fields point; failing that, the nearest line naming it.
		at, best := int(d.Range.Start.Line), -1
		for l := at; l < len(lines) && l < at+300 && best < 0; l++ {
			if nameLine.MatchString(lines[l]) {
				best = l
			}
		}
		if best < 0 {
			for l, text := range lines {
				if nameLine.MatchString(text) && (best < 0 || abs(l-at) < abs(best-at)) {
					best = l
				}
			}
		}
		if best >= 0 && !slices.Contains(candidates, best) {
			candidates = append(candidates, best)
		}
	}
	if len(candidates) == 0 {
		return nil, errors.New("no container name that the diagnostics quote")
	}
	sort.Ints(candidates)
	mid := len(candidates) / 2
	slices.SortStableFunc(candidates, func(a, b int) int { return abs(a-candidates[mid]) - abs(b-candidates[mid]) })
	var out []protocol.Position
	for _, l := range candidates {
		out = append(out, protocol.Position{Line: uint32(l), Character: utf16Len(strings.TrimRight(lines[l], " \r"))})
	}
	return out, nil
}

func abs(i int) int { return max(i, -i) }

func utf16Len(s string) uint32 { return uint32(len(utf16.Encode([]rune(s)))) }

// startup times process start to the initialize reply.
func startup() ([]time.Duration, error) {
	var out []time.Duration
	for range *startsFlag {
		t0 := time.Now()
		s, err := start("")
		if err != nil {
			return nil, err
		}
		out = append(out, s.Initialized.Sub(t0))
		_ = s.Stop()
	}
	return out, nil
}

// memory opens the ten largest corpus files in one server and reports its resident memory.
func memory() error {
	names, err := lsptest.Largest(*corpusFlag, 10)
	if err != nil {
		return err
	}
	s, err := start("")
	if err != nil {
		return err
	}
	defer func() { _ = s.Stop() }()
	var total int64
	var slowest time.Duration
	for i, name := range names {
		text, err := os.ReadFile(filepath.Join(*corpusFlag, name))
		if err != nil {
			return err
		}
		total += int64(len(text))
		u := uri.File(filepath.Join("/corpus", name))
		t0 := time.Now()
		if err := s.Server.DidOpen(s.Ctx, &protocol.DidOpenTextDocumentParams{TextDocument: protocol.TextDocumentItem{URI: u, LanguageID: "yaml", Version: 1, Text: string(text)}}); err != nil {
			return err
		}
		// Files without findings publish an empty list: the pull answers once analysed.
		if _, err := s.Server.Diagnostic(s.Ctx, &protocol.DocumentDiagnosticParams{TextDocument: protocol.TextDocumentIdentifier{URI: u}}); err != nil {
			return err
		}
		slowest = max(slowest, time.Since(t0))
		_ = i
	}
	time.Sleep(2 * time.Second) // let the collector and scavenger settle, as an idle editor would
	rss, hwm := lsptest.MiB(lsptest.ProcStatusKiB(s.Pid(), "VmRSS")), lsptest.MiB(lsptest.ProcStatusKiB(s.Pid(), "VmHWM"))
	fmt.Printf("Ten largest corpus files open (%.1f MB of YAML; slowest first analysis %s): RSS %s, peak RSS %s\n",
		float64(total)/1e6, lsptest.Ms(slowest), rss, hwm)
	return nil
}

// start runs a fresh server with debounceMs 0 and its debug log, for the server's own times,
// on the workspace folder, if not "".
func start(folder string) (*lsptest.Session, error) {
	return lsptest.Start(lsptest.Options{
		Bin:                   *binFlag,
		ClientName:            "latency",
		InitializationOptions: `{"debounceMs": 0}`,
		DebugLog:              true,
		Folder:                folder,
	})
}
