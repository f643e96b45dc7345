package lsp

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
)

const podYAML = `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  hostPID: true
  containers:
  - name: app
    image: nginx:1.27
`

func TestDiagnosticsFollowTyping(t *testing.T) {
	t.Parallel()
	s := newSession(t, sessionOptions{})
	u := uri.File("/work/pod.yaml")
	s.open(u, "yaml", podYAML)

	diags := s.diagnosticsAt(u, 1)
	d, ok := find(diags, "host-pid")
	if !ok {
		t.Fatalf("no host-pid diagnostic in %v", codes(diags))
	}
	if want := (protocol.Range{Start: protocol.Position{Line: 5, Character: 2}, End: protocol.Position{Line: 5, Character: 15}}); d.Range != want {
		t.Errorf("host-pid range %v, want %v (the key to the value's end)", d.Range, want)
	}
	if d.Severity != protocol.DiagnosticSeverityError {
		t.Errorf("host-pid (high) severity %v, want Error", d.Severity)
	}
	if src, _ := d.Source.Get(); src != "kube-policy-ls" {
		t.Errorf("source %q", src)
	}
	if href := string(d.CodeDescription.Href); href != analysis.RulesDocURL+"#host-pid" {
		t.Errorf("codeDescription %q", href)
	}
	if msg := messageOf(d); !strings.Contains(msg, "hostPID") {
		t.Errorf("message %q does not name the field", msg)
	}
	data, ok := decodeDiagnosticData(d)
	if !ok || data.Rule != "host-pid" || data.Doc != 0 || !data.Fixable {
		t.Errorf("data %s decodes to %+v", d.Data, data)
	}
	if c, ok := find(diags, "cpu-limits"); !ok || !strings.Contains(messageOf(c), `"app"`) || c.Severity != protocol.DiagnosticSeverityWarning {
		t.Errorf("cpu-limits diagnostic %+v: want a warning naming container app", c)
	}

	// A line inserted above moves the diagnostic down.
	s.change(u, 2, partial(5, 0, 5, 0, "  # the node's processes\n"))
	if d, _ := find(s.diagnosticsAt(u, 2), "host-pid"); d.Range.Start.Line != 6 {
		t.Errorf("after inserting a line: host-pid on line %d, want 6", d.Range.Start.Line)
	}
	// Typing "false" over "true" fixes it.
	s.change(u, 3, partial(6, 11, 6, 15, "false"))
	if diags := s.diagnosticsAt(u, 3); hasCode(diags, "host-pid") {
		t.Errorf("host-pid still reported after hostPID: false")
	}
	// Typing it back, one character at a time, brings it back.
	s.change(u, 4, partial(6, 11, 6, 16, ""))
	for i, c := range "true" {
		s.change(u, int32(5+i), partial(6, uint32(11+i), 6, uint32(11+i), string(c)))
	}
	s.waitDiagnostics(u, "host-pid back after typing true", func(diags []protocol.Diagnostic) bool { return hasCode(diags, "host-pid") })
	if got := s.documentText(u); got != strings.Replace(podYAML, "spec:\n", "spec:\n  # the node's processes\n", 1) {
		t.Errorf("server text:\n%s", got)
	}
}

func TestRapidChangesStayInOrder(t *testing.T) {
	t.Parallel()
	s := newSession(t, sessionOptions{})
	u := uri.File("/work/rapid.yaml")
	s.open(u, "yaml", podYAML)
	s.diagnosticsAt(u, 1)
	// 500 single-character changes sent back to back: append to the container's name, so
	// that the text after each one depends on every change before it arriving in order.
	line, col := uint32(7), uint32(len("  - name: app"))
	var name strings.Builder
	for i := range 500 {
		c := string(rune('a' + i%26))
		s.change(u, int32(i+2), partial(line, col+uint32(i), line, col+uint32(i), c))
		name.WriteString(c)
	}
	model := strings.Replace(podYAML, "- name: app", "- name: app"+name.String(), 1)
	s.barrier()
	if got := s.documentText(u); got != model {
		t.Fatalf("server text after 500 changes differs from the client's")
	}
	diags := s.diagnosticsAt(u, 501)
	want := analyzeDirect(t, analysis.Config{}, model)
	if len(diags) != len(want.Findings) {
		t.Fatalf("%d diagnostics for the final text, want %d", len(diags), len(want.Findings))
	}
	if c, _ := find(diags, "cpu-limits"); !strings.Contains(messageOf(c), name.String()) {
		t.Errorf("cpu-limits message %q does not name the final container name", messageOf(c))
	}
	// Every version published was newer than the one before.
	s.client.mu.Lock()
	defer s.client.mu.Unlock()
	last := int32(0)
	for _, p := range s.client.published {
		if v, _ := versionOf(p); p.URI == u && v <= last {
			t.Errorf("diagnostics of version %d published after version %d", v, last)
		} else if p.URI == u {
			last = v
		}
	}
}

// TestTextFollowsTheClient checks the server's text against the client's after every change
// of a random sequence: UTF-16 ranges over emoji and accents, CRLF, several changes in one
// notification, whole-text changes.
func TestTextFollowsTheClient(t *testing.T) {
	t.Parallel()
	s := newSession(t, sessionOptions{initOpts: map[string]any{"debounceMs": 0}})
	u := uri.File("/work/model.yaml")
	m := &utf16Model{text: "apiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n  name: 😀-é\r\ndata:\r\n  k: v\r\n"}
	s.open(u, "yaml", m.text)
	r := rand.New(rand.NewPCG(1, 2))
	version := int32(1)
	for step := range 300 {
		var changes []protocol.TextDocumentContentChangeEvent
		for range 1 + r.IntN(3) {
			if r.IntN(40) == 0 {
				m.text = m.randomText(r)
				changes = append(changes, whole(m.text))
				continue
			}
			changes = append(changes, m.randomEdit(r))
		}
		version++
		s.change(u, version, changes...)
		s.barrier()
		if got := s.documentText(u); got != m.text {
			t.Fatalf("step %d: server text\n%q\nclient text\n%q", step, got, m.text)
		}
	}
	if want := analyzeDirect(t, analysis.Config{}, m.text); len(s.pull(u).Items) != len(want.Findings) {
		t.Errorf("diagnostics of the final text differ from its analysis")
	}
}

func TestPublishingSkippedWhenNothingChanged(t *testing.T) {
	t.Parallel()
	s := newSession(t, sessionOptions{initOpts: map[string]any{"debounceMs": 0}})
	u := uri.File("/work/same.yaml")
	s.open(u, "yaml", podYAML)
	s.diagnosticsAt(u, 1)
	// A comment at the end changes no diagnostic.
	s.change(u, 2, partial(9, 0, 9, 0, "# end\n"))
	s.pull(u) // waits for the analysis of version 2
	// Removing hostPID changes them.
	s.change(u, 3, partial(5, 0, 6, 0, ""))
	s.diagnosticsAt(u, 3)
	s.client.mu.Lock()
	defer s.client.mu.Unlock()
	for _, p := range s.client.published {
		if v, _ := versionOf(p); v == 2 {
			t.Error("diagnostics of version 2, identical to version 1's, were published")
		}
	}
}

func TestEditCancelsStaleAnalysis(t *testing.T) {
	t.Parallel()
	s := newSession(t, sessionOptions{initOpts: map[string]any{"debounceMs": 0}})
	u := uri.File("/work/big.yaml")
	var b strings.Builder
	for i := range 400 {
		fmt.Fprintf(&b, "---\n%s", strings.Replace(podYAML, "name: web", fmt.Sprintf("name: web-%d", i), 1))
	}
	s.open(u, "yaml", b.String())
	s.barrier()
	s.srv.mu.Lock()
	first := s.srv.docs[u].run
	s.srv.mu.Unlock()
	if first == nil {
		t.Skip("the analysis of 400 documents finished before the edit (a very fast machine)")
	}
	s.change(u, 2, partial(0, 0, 0, 0, "# edited\n"))
	s.barrier()
	select {
	case <-first.ctx.Done():
	default:
		t.Error("the analysis of version 1 was not cancelled by the edit")
	}
	diags := s.diagnosticsAt(u, 2)
	if !hasCode(diags, "host-pid") {
		t.Error("no diagnostics for version 2")
	}
}

func TestCloseClearsDiagnostics(t *testing.T) {
	t.Parallel()
	s := newSession(t, sessionOptions{})
	u := uri.File("/work/close.yaml")
	s.open(u, "yaml", podYAML)
	s.diagnosticsAt(u, 1)
	if err := s.server.DidClose(s.ctx(), &protocol.DidCloseTextDocumentParams{TextDocument: protocol.TextDocumentIdentifier{URI: u}}); err != nil {
		t.Fatal(err)
	}
	s.waitDiagnostics(u, "diagnostics cleared on close", func(d []protocol.Diagnostic) bool { return len(d) == 0 })
	// Events for the closed document are ignored with a log line.
	s.change(u, 2, partial(0, 0, 0, 0, "x"))
	s.barrier()
	if !s.logged("not open") {
		t.Error("no log line for a change to a closed document")
	}
}

func TestStaleVersionIgnored(t *testing.T) {
	t.Parallel()
	s := newSession(t, sessionOptions{})
	u := uri.File("/work/stale.yaml")
	s.open(u, "yaml", podYAML)
	s.change(u, 5, partial(0, 0, 0, 0, "# v5\n"))
	s.change(u, 4, partial(0, 0, 0, 0, "# v4\n"))
	s.change(u, 5, partial(0, 0, 0, 0, "# v5 again\n"))
	s.barrier()
	if got := s.documentText(u); got != "# v5\n"+podYAML {
		t.Errorf("text after stale changes:\n%s", got)
	}
	if !s.logged("stale version") {
		t.Error("no log line for a stale version")
	}
	s.diagnosticsAt(u, 5)
}

// TestOutOfRangeEditResyncs: an edit that does not fit the text is refused, the diagnostics
// are cleared and the user told; the next whole text puts the document back in step.
func TestOutOfRangeEditResyncs(t *testing.T) {
	t.Parallel()
	s := newSession(t, sessionOptions{})
	u := uri.File("/work/range.yaml")
	s.open(u, "yaml", podYAML)
	s.diagnosticsAt(u, 1)
	s.change(u, 2, partial(50, 0, 50, 1, "x"))
	if d := s.diagnosticsAt(u, 2); len(d) != 0 {
		t.Errorf("diagnostics of an out-of-sync document: %v", codes(d))
	}
	s.client.waitFor(t, "a log line about the refused edit", func() bool {
		return len(s.client.logs) > 0 && strings.Contains(strings.Join(s.client.logs, "\n"), "edit refused")
	})
	s.change(u, 3, partial(0, 0, 0, 0, "# ignored while out of sync\n"))
	s.barrier()
	if got := s.documentText(u); got != podYAML {
		t.Errorf("text changed while out of sync:\n%s", got)
	}
	// The text on save resynchronises.
	saved := "# saved\n" + podYAML
	if err := s.server.DidSave(s.ctx(), &protocol.DidSaveTextDocumentParams{TextDocument: protocol.TextDocumentIdentifier{URI: u}, Text: &saved}); err != nil {
		t.Fatal(err)
	}
	if d := s.diagnosticsAt(u, 3); !hasCode(d, "host-pid") {
		t.Errorf("after the save: %v", codes(d))
	}
	s.change(u, 4, partial(0, 0, 0, 7, "# edited"))
	s.barrier()
	if got := s.documentText(u); got != "# edited\n"+podYAML {
		t.Errorf("text after resync and edit:\n%s", got)
	}
}

func TestPullDiagnostics(t *testing.T) {
	t.Parallel()
	s := newSession(t, sessionOptions{caps: pullCaps, initOpts: map[string]any{"debounceMs": 60000}})
	u := uri.File("/work/pull.yaml")
	s.open(u, "yaml", podYAML)
	full := s.pull(u)
	if full == nil || !hasCode(full.Items, "host-pid") || full.ResultID == nil {
		t.Fatalf("pull: %+v", full)
	}
	// With a long debounce, the pull still answers for the latest text at once.
	s.change(u, 2, partial(5, 11, 5, 15, "false"))
	if again := s.pull(u); again == nil || hasCode(again.Items, "host-pid") {
		t.Errorf("pull after the edit: %+v", again)
	}
	// The same result id gets "unchanged".
	rep, err := s.srv.pullDiagnostics(s.ctx(), &protocol.DocumentDiagnosticParams{TextDocument: protocol.TextDocumentIdentifier{URI: u}, PreviousResultID: s.pull(u).ResultID})
	if _, ok := rep.(*protocol.RelatedUnchangedDocumentDiagnosticReport); err != nil || !ok {
		t.Errorf("pull with the current result id: %T %v", rep, err)
	}
	s.barrier()
	s.client.mu.Lock()
	defer s.client.mu.Unlock()
	if len(s.client.published) > 0 {
		t.Errorf("a client that pulls got %d publishDiagnostics", len(s.client.published))
	}
}

// pull sends textDocument/diagnostic and returns the full report.
func (s *session) pull(u uri.URI) *protocol.FullDocumentDiagnosticReport {
	s.t.Helper()
	rep, err := s.server.Diagnostic(s.ctx(), &protocol.DocumentDiagnosticParams{TextDocument: protocol.TextDocumentIdentifier{URI: u}})
	if err != nil {
		s.t.Fatalf("textDocument/diagnostic: %v", err)
	}
	if full, ok := rep.(*protocol.RelatedFullDocumentDiagnosticReport); ok {
		return &full.FullDocumentDiagnosticReport
	}
	s.t.Fatalf("textDocument/diagnostic: %T", rep)
	return nil
}

func TestDocumentsThatAreNotChecked(t *testing.T) {
	t.Parallel()
	s := newSession(t, sessionOptions{initOpts: map[string]any{"debounceMs": 0}})
	notManifest := uri.File("/work/values.yaml")
	s.open(notManifest, "yaml", "replicaCount: 1\nimage:\n  repository: nginx\nsecurityContext:\n  privileged: true\n")
	if d := s.diagnosticsAt(notManifest, 1); len(d) != 0 {
		t.Errorf("YAML without apiVersion/kind: %v", codes(d))
	}
	helm := uri.File("/work/deployment.yaml")
	s.open(helm, "helm", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  template:\n    spec:\n      hostPID: true\n")
	d := s.diagnosticsAt(helm, 1)
	if len(d) != 1 || d[0].Severity != protocol.DiagnosticSeverityInformation {
		t.Errorf("Helm template: %v, want one information notice", codes(d))
	}
	plain := uri.File("/work/notes.txt")
	s.open(plain, "plaintext", podYAML)
	json := uri.File("/work/pod.json")
	s.open(json, "json", `{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "j"}, "spec": {"hostPID": true, "containers": []}}`)
	if d := s.diagnosticsAt(json, 1); !hasCode(d, "host-pid") {
		t.Errorf("JSON manifest: %v", codes(d))
	}
	s.barrier()
	s.client.mu.Lock()
	defer s.client.mu.Unlock()
	if s.client.latestLocked(plain) != nil {
		t.Error("diagnostics published for a plaintext document")
	}
}

func TestDiagnosticDataFindsTheFinding(t *testing.T) {
	t.Parallel()
	s := newSession(t, sessionOptions{})
	u := uri.File("/work/data.yaml")
	s.open(u, "yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\n"+podYAML)
	diags := s.diagnosticsAt(u, 1)
	snap, err := s.srv.snapshot(s.ctx(), u)
	if err != nil || snap == nil {
		t.Fatal(err)
	}
	for _, d := range diags {
		data, ok := decodeDiagnosticData(d)
		if !ok {
			t.Fatalf("diagnostic without data: %s", d.Data)
		}
		f, ok := findFinding(snap.Result, data.Key)
		if !ok || f.Rule != data.Rule || f.Doc != 1 || data.Doc != 1 {
			t.Errorf("data %+v: finding %+v found %v", data, f, ok)
		}
		var raw map[string]any
		if err := json.Unmarshal(d.Data, &raw); err != nil || raw["key"] == "" {
			t.Errorf("data is not a JSON object with a key: %s", d.Data)
		}
	}
}

func TestUTF8PositionEncoding(t *testing.T) {
	t.Parallel()
	caps := protocol.ClientCapabilities{General: &protocol.GeneralClientCapabilities{PositionEncodings: []protocol.PositionEncodingKind{protocol.PositionEncodingKindUTF8, protocol.PositionEncodingKindUTF16}}}
	s := newSession(t, sessionOptions{caps: caps})
	if s.init.Capabilities.PositionEncoding != protocol.PositionEncodingKindUTF8 {
		t.Fatalf("position encoding %q, want utf-8 when offered", s.init.Capabilities.PositionEncoding)
	}
	u := uri.File("/work/utf8.yaml")
	text := strings.Replace(podYAML, "  hostPID: true", "  hostPID: true # 😀", 1)
	s.open(u, "yaml", "# é😀\n"+text)
	// Replace "true" on line 6, after the emoji line: columns count bytes.
	s.change(u, 2, partial(0, 2, 0, 8, "ab"))
	s.barrier()
	if got := s.documentText(u); got != "# ab\n"+text {
		t.Errorf("UTF-8 edit: %q", got[:10])
	}
	d, _ := find(s.pull(u).Items, "host-pid")
	if d.Range.Start.Line != 6 || d.Range.Start.Character != 2 {
		t.Errorf("host-pid at %v", d.Range)
	}
}

// TestChartTemplatesAreRendered: a file under a chart's templates/ is checked through the
// rendered chart (chart.go), not parsed as a manifest, nor given the lone template's notice.
func TestChartTemplatesAreRendered(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "chart", "Chart.yaml"), "apiVersion: v2\nname: c\nversion: 0.1.0\n")
	s := newSession(t, sessionOptions{root: root})
	u := uri.File(filepath.Join(root, "chart", "templates", "pod.yaml"))
	writeFile(t, u.FsPath(), podYAML) // Helm lists the chart's files on disk
	s.open(u, "yaml", podYAML)
	d := s.diagnosticsAt(u, 1)
	if !hasCode(d, "host-pid") || hasCode(d, analysis.RuleHelmTemplate) {
		t.Errorf("a file under a chart's templates/: %v", codes(d))
	}
}
