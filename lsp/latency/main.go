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
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"
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
	fmt.Printf("kube-policy-ls language server latency, %s, %d CPUs, %s\n\n", runtime.Version(), runtime.NumCPU(), cpuModel())

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

	fmt.Printf("\nFirst diagnostics after didOpen of the 35,780-line file (fresh server): %s\n", ms(first))
	starts, err := startup()
	if err != nil {
		return err
	}
	fmt.Printf("Start-up to the initialize reply (%d starts): p50 %s, max %s\n", len(starts), ms(pct(starts, 50)), ms(pct(starts, 100)))
	return memory()
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
		ms(pct(r.server, 50)), ms(pct(r.server, 95)), ms(pct(r.server, 100)),
		ms(pct(r.times, 50)), ms(pct(r.times, 95)), ms(pct(r.times, 100)), ms(r.cpu/time.Duration(max(len(r.times), 1))))
}

// keystrokes opens a corpus file in a fresh server and types into it. In a CRD the
// diagnostics do not change, so each keystroke is timed to the answer of a pull
// (textDocument/diagnostic) sent right after it instead.
func keystrokes(name string, inCRD bool) (*result, error) {
	text, err := os.ReadFile(filepath.Join(*corpusFlag, name))
	if err != nil {
		return nil, err
	}
	s, err := start()
	if err != nil {
		return nil, err
	}
	defer s.stop()
	u := uri.File(filepath.Join("/corpus", name))
	lines := strings.Split(string(text), "\n")
	res := &result{lines: len(lines), docs: strings.Count(string(text), "\n---")}
	if !strings.HasPrefix(string(text), "---") {
		res.docs++
	}
	t0 := time.Now()
	if err := s.server.DidOpen(s.ctx, &protocol.DidOpenTextDocumentParams{TextDocument: protocol.TextDocumentItem{URI: u, LanguageID: "yaml", Version: 1, Text: string(text)}}); err != nil {
		return nil, err
	}
	diags, err := s.waitVersion(u, 1)
	if err != nil {
		return nil, err
	}
	res.first = time.Since(t0)

	sites, err := editSites(lines, diags, inCRD)
	if err != nil {
		return nil, err
	}
	version := int32(1)
	// type sends one keystroke at site: a character, or the removal of the one typed before.
	typeAt := func(site protocol.Position, remove bool) error {
		version++
		change := &protocol.TextDocumentContentChangePartial{Text: "x", Range: protocol.Range{Start: site, End: site}}
		if remove {
			change.Text = ""
			change.Range.End.Character++
		}
		return s.server.DidChange(s.ctx, &protocol.DidChangeTextDocumentParams{
			TextDocument:   protocol.VersionedTextDocumentIdentifier{TextDocumentIdentifier: protocol.TextDocumentIdentifier{URI: u}, Version: version},
			ContentChanges: []protocol.TextDocumentContentChangeEvent{change},
		})
	}
	site := sites[0]
	if !inCRD { // the first site whose name the diagnostics follow
		found := false
		for _, site = range sites {
			if err := typeAt(site, false); err != nil {
				return nil, err
			}
			_, err := s.waitVersionWithin(u, version, 3*time.Second)
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
		if _, err := s.waitVersion(u, version); err != nil {
			return nil, err
		}
	}
	cpu0 := cpuTime(s.cmd.Process.Pid)
	for i := range *editsFlag {
		t := time.Now()
		if err := typeAt(site, i%2 == 1); err != nil {
			return nil, err
		}
		if inCRD {
			if _, err := s.server.Diagnostic(s.ctx, &protocol.DocumentDiagnosticParams{TextDocument: protocol.TextDocumentIdentifier{URI: u}}); err != nil {
				return nil, err
			}
		} else if _, err := s.waitVersion(u, version); err != nil {
			return nil, err
		}
		res.times = append(res.times, time.Since(t))
	}
	res.cpu = cpuTime(s.cmd.Process.Pid) - cpu0
	res.server = s.serverTimes(u, inCRD)
	if !inCRD && len(res.server) > len(res.times) { // the probes of edit sites come first
		res.server = res.server[len(res.server)-len(res.times):]
	}
	return res, nil
}

var quotedContainer = regexp.MustCompile(`container "([A-Za-z0-9._-]+)"`)

// editSites are where to type: the ends of the names of containers that diagnostics quote,
// the nearest the middle of the file first, or a description line inside the first large CRD.
func editSites(lines []string, diags []protocol.Diagnostic, inCRD bool) ([]protocol.Position, error) {
	if inCRD {
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
		s, err := start()
		if err != nil {
			return nil, err
		}
		out = append(out, s.initialized.Sub(t0))
		s.stop()
	}
	return out, nil
}

// memory opens the ten largest corpus files in one server and reports its resident memory.
func memory() error {
	names, err := largest(10)
	if err != nil {
		return err
	}
	s, err := start()
	if err != nil {
		return err
	}
	defer s.stop()
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
		if err := s.server.DidOpen(s.ctx, &protocol.DidOpenTextDocumentParams{TextDocument: protocol.TextDocumentItem{URI: u, LanguageID: "yaml", Version: 1, Text: string(text)}}); err != nil {
			return err
		}
		// Files without findings publish an empty list: the pull answers once analysed.
		if _, err := s.server.Diagnostic(s.ctx, &protocol.DocumentDiagnosticParams{TextDocument: protocol.TextDocumentIdentifier{URI: u}}); err != nil {
			return err
		}
		slowest = max(slowest, time.Since(t0))
		_ = i
	}
	time.Sleep(2 * time.Second) // let the collector and scavenger settle, as an idle editor would
	rss, hwm := procStatus(s.cmd.Process.Pid, "VmRSS"), procStatus(s.cmd.Process.Pid, "VmHWM")
	fmt.Printf("Ten largest corpus files open (%.1f MB of YAML; slowest first analysis %s): RSS %s, peak RSS %s\n",
		float64(total)/1e6, ms(slowest), rss, hwm)
	return nil
}

func largest(n int) ([]string, error) {
	data, err := os.ReadFile(filepath.Join(*corpusFlag, "INDEX.tsv"))
	if err != nil {
		return nil, err
	}
	type entry struct {
		name  string
		bytes int
	}
	var all []entry
	for _, line := range strings.Split(string(data), "\n")[1:] {
		cols := strings.Split(line, "\t")
		if len(cols) < 7 || cols[1] != "main" {
			continue
		}
		b, _ := strconv.Atoi(cols[5])
		all = append(all, entry{cols[0], b})
	}
	slices.SortFunc(all, func(a, b entry) int { return b.bytes - a.bytes })
	var out []string
	for _, e := range all[:min(n, len(all))] {
		out = append(out, e.name)
	}
	return out, nil
}

func procStatus(pid int, field string) string {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "n/a"
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.Atoi(strings.Fields(v)[0])
			return fmt.Sprintf("%.0f MiB", float64(kb)/1024)
		}
	}
	return "n/a"
}

// cpuTime is a process's user and system CPU time so far (/proc/PID/stat, in clock ticks of
// 10 ms: precise over hundreds of keystrokes).
func cpuTime(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name, in parentheses, may hold spaces: count fields after it.
	fields := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	if len(fields) < 13 {
		return 0
	}
	user, _ := strconv.Atoi(fields[11])
	system, _ := strconv.Atoi(fields[12])
	return time.Duration(user+system) * 10 * time.Millisecond
}

func cpuModel() string {
	data, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
		}
	}
	return runtime.GOARCH
}

func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[min(max(i-1, 0), len(s)-1)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

// session is one server process.
type session struct {
	cmd         *exec.Cmd
	conn        jsonrpc2.Conn
	server      protocol.Server
	ctx         context.Context
	cancel      context.CancelFunc
	initialized time.Time // when the initialize reply arrived
	logPath     string    // the server's debug log

	mu   sync.Mutex
	got  map[uri.URI]*protocol.PublishDiagnosticsParams
	wake chan struct{}
}

func start() (*session, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	s := &session{ctx: ctx, cancel: cancel, got: map[uri.URI]*protocol.PublishDiagnosticsParams{}, wake: make(chan struct{}, 1)}
	logs, err := os.CreateTemp("", "kube-policy-ls-latency-*.log")
	if err != nil {
		return nil, err
	}
	logs.Close()
	s.logPath = logs.Name()
	s.cmd = exec.CommandContext(ctx, *binFlag, "serve", "--log-level", "debug", "--log-file", s.logPath)
	s.cmd.Stderr = os.Stderr
	stdin, err := s.cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	s.conn = jsonrpc2.NewConn(jsonrpc2.NewStream(pipes{bufio.NewReader(stdout), stdin, stdout}), jsonrpc2.WithCodec(codec{}))
	s.conn.Go(ctx, s.handle)
	s.server = protocol.ServerDispatcher(s.conn)
	if _, err := s.server.Initialize(ctx, &protocol.InitializeParams{
		ClientInfo:            protocol.ClientInfo{Name: "latency"},
		InitializationOptions: protocol.LSPAny(`{"debounceMs": 0}`),
	}); err != nil {
		return nil, err
	}
	s.initialized = time.Now()
	return s, s.server.Initialized(ctx, &protocol.InitializedParams{})
}

// handle takes the server's notifications in order, on the read loop, when they arrive.
func (s *session) handle(_ context.Context, req *jsonrpc2.Request) (any, error) {
	if req.Method() != protocol.MethodTextDocumentPublishDiagnostics {
		if req.IsCall() {
			return nil, jsonrpc2.ErrMethodNotFound
		}
		return nil, nil
	}
	var p protocol.PublishDiagnosticsParams
	if err := (codec{}).Unmarshal(req.Params(), &p); err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.got[p.URI] = &p
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return nil, nil
}

func (s *session) waitVersion(u uri.URI, version int32) ([]protocol.Diagnostic, error) {
	return s.waitVersionWithin(u, version, time.Minute)
}

func (s *session) waitVersionWithin(u uri.URI, version int32, limit time.Duration) ([]protocol.Diagnostic, error) {
	deadline := time.After(limit)
	for {
		s.mu.Lock()
		p := s.got[u]
		s.mu.Unlock()
		if p != nil {
			if v, _ := p.Version.Get(); v >= version {
				return p.Diagnostics, nil
			}
		}
		select {
		case <-s.wake:
		case <-deadline:
			return nil, fmt.Errorf("no diagnostics for version %d of %s", version, u)
		}
	}
}

func (s *session) stop() {
	_, _ = s.conn.Call(s.ctx, protocol.MethodShutdown, nil, nil)
	_ = s.conn.Notify(s.ctx, protocol.MethodExit, nil)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
	}
	_ = s.conn.Close()
	s.cancel()
	_ = os.Remove(s.logPath)
}

// serverTimes reads the server's own times from its debug log: for each publishDiagnostics
// of u after version 1, the time from the change's arrival to the diagnostics written; with
// analyses set, the time of each analysis of u after the first instead.
func (s *session) serverTimes(u uri.URI, analyses bool) []time.Duration {
	data, err := os.ReadFile(s.logPath)
	if err != nil {
		return nil
	}
	var out []time.Duration
	first := true
	for _, line := range strings.Split(string(data), "\n") {
		i := strings.IndexByte(line, '{')
		if i < 0 || (!strings.Contains(line, "\tpublished\t") && !strings.Contains(line, "\tanalysed\t")) {
			continue
		}
		var f struct {
			URI     string  `json:"uri"`
			Version int32   `json:"version"`
			Since   float64 `json:"sinceChangeMs"`
			Took    string  `json:"took"`
		}
		if json.Unmarshal([]byte(line[i:]), &f) != nil || f.URI != string(u) {
			continue
		}
		switch {
		case !analyses && strings.Contains(line, "\tpublished\t") && f.Version > 1:
			out = append(out, time.Duration(f.Since*float64(time.Millisecond)))
		case analyses && strings.Contains(line, "\tanalysed\t"):
			if d, err := time.ParseDuration(f.Took); err == nil && !first {
				out = append(out, d)
			}
			first = false
		}
	}
	return out
}

type pipes struct {
	io.Reader
	io.WriteCloser
	out io.Closer
}

func (p pipes) Close() error { return errors.Join(p.WriteCloser.Close(), p.out.Close()) }

// codec decodes a copy of each frame: protocol.Unmarshal may alias its input.
type codec struct{}

func (codec) Marshal(v any) ([]byte, error) { return protocol.Marshal(v) }

func (codec) Unmarshal(data []byte, v any) error { return protocol.Unmarshal(bytes.Clone(data), v) }
