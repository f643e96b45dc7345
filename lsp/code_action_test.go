package lsp

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"
)

// editClient is a test client that applies workspace/applyEdit requests to its own copy of
// the documents, as an editor does, and tells the server with didChange.
type editClient struct {
	*testClient
	mu      sync.Mutex
	applied []protocol.WorkspaceEdit
}

func (c *editClient) ApplyEdit(_ context.Context, p *protocol.ApplyWorkspaceEditParams) (*protocol.ApplyWorkspaceEditResult, error) {
	c.mu.Lock()
	c.applied = append(c.applied, p.Edit)
	c.mu.Unlock()
	c.changed()
	return &protocol.ApplyWorkspaceEditResult{Applied: true}, nil
}

// newEditSession is newSession with an editClient and the given capabilities.
func newEditSession(t *testing.T, caps protocol.ClientCapabilities) (*session, *editClient) {
	t.Helper()
	core, logs := observer.New(zapcore.DebugLevel)
	srv := NewServer(Options{Logger: zap.New(core), Version: "test-version"})
	a, b := net.Pipe()
	client := &editClient{testClient: newTestClient()}
	s := &session{t: t, srv: srv, client: client.testClient, logs: logs, code: make(chan int, 1)}
	go func() { s.code <- srv.serve(context.Background(), a) }()
	s.conn = jsonrpc2.NewConn(jsonrpc2.NewStream(b), jsonrpc2.WithCodec(codec{}))
	s.conn.Go(context.Background(), asyncCalls(protocol.ClientHandler(client, jsonrpc2.MethodNotFoundHandler)))
	s.server = protocol.ServerDispatcher(s.conn)
	t.Cleanup(s.close)
	res, err := s.server.Initialize(s.ctx(), &protocol.InitializeParams{Capabilities: caps})
	if err != nil {
		t.Fatalf("initialize: %v", err)
	}
	s.init = res
	if err := s.server.Initialized(s.ctx(), &protocol.InitializedParams{}); err != nil {
		t.Fatal(err)
	}
	return s, client
}

// Client capabilities of the kinds of editors the server meets.
var (
	// vscodeCaps: versioned documentChanges, lazy edits, applyEdit, disabled actions.
	vscodeCaps = protocol.ClientCapabilities{
		Workspace: &protocol.WorkspaceClientCapabilities{
			ApplyEdit:     ptr(true),
			WorkspaceEdit: &protocol.WorkspaceEditClientCapabilities{DocumentChanges: ptr(true)},
		},
		TextDocument: &protocol.TextDocumentClientCapabilities{CodeAction: &protocol.CodeActionClientCapabilities{
			IsPreferredSupport: ptr(true), DisabledSupport: ptr(true), DataSupport: ptr(true),
			ResolveSupport: protocol.ClientCodeActionResolveOptions{Properties: []string{"edit"}},
		}},
	}
	// plainCaps: nothing but changes maps and eager edits.
	plainCaps = protocol.ClientCapabilities{}
	// snippetCaps: documentChanges with snippet edits.
	snippetCaps = protocol.ClientCapabilities{Workspace: &protocol.WorkspaceClientCapabilities{
		WorkspaceEdit: &protocol.WorkspaceEditClientCapabilities{DocumentChanges: ptr(true), SnippetEditSupport: ptr(true)},
	}}
)

// fixDeployment has two containers without readOnlyRootFilesystem, a privileged one, and a Pod
// whose container is a flow mapping after non-ASCII text (UTF-16 columns differ from bytes).
const fixDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      securityContext:
        runAsNonRoot: true
        seccompProfile: {type: RuntimeDefault}
        appArmorProfile: {type: RuntimeDefault}
      containers:
        - name: web
          image: nginx:1.27
          securityContext:
            privileged: true # debugging
            allowPrivilegeEscalation: false
            runAsUser: 10001
            capabilities: {drop: [ALL]}
          resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {cpu: 500m, memory: 512Mi}}
        - name: sidecar
          image: busybox:1.36
          securityContext: {allowPrivilegeEscalation: false, runAsUser: 10001, capabilities: {drop: [ALL]}}
          resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {cpu: 500m, memory: 512Mi}}
---
apiVersion: v1
kind: Pod
metadata:
  name: debug
spec:
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}, appArmorProfile: {type: RuntimeDefault}}
  containers:
    - {name: debug, image: "busybox:1.36", args: ["echo", "Grüße 🚀"], securityContext: {privileged: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsUser: 10001, capabilities: {drop: [ALL]}}, resources: {requests: {cpu: 50m, memory: 64Mi}, limits: {cpu: 100m, memory: 64Mi}}}
`

// applyWorkspaceEdit applies an edit for u to text, with UTF-16 positions, as a client does.
func applyWorkspaceEdit(t *testing.T, text string, u uri.URI, we *protocol.WorkspaceEdit, wantVersion *int32) string {
	t.Helper()
	if we == nil {
		t.Fatal("no edit")
	}
	var edits []protocol.TextEdit
	for _, dc := range we.DocumentChanges {
		tde, ok := dc.(*protocol.TextDocumentEdit)
		if !ok || tde.TextDocument.URI != u {
			t.Fatalf("unexpected document change %#v", dc)
		}
		if wantVersion != nil && (tde.TextDocument.Version == nil || *tde.TextDocument.Version != *wantVersion) {
			t.Errorf("edit for version %v, want %d", tde.TextDocument.Version, *wantVersion)
		}
		for _, e := range tde.Edits {
			switch x := e.(type) {
			case *protocol.TextEdit:
				edits = append(edits, *x)
			case *protocol.SnippetTextEdit:
				edits = append(edits, protocol.TextEdit{Range: x.Range, NewText: strings.NewReplacer("${1:", "", "}", "").Replace(x.Snippet.Value)})
			default:
				t.Fatalf("unexpected edit %#v", e)
			}
		}
	}
	edits = append(edits, we.Changes[u]...)
	m := yamldoc.NewMapper(text)
	type off struct {
		start, end int
		text       string
	}
	var offs []off
	for _, e := range edits {
		s, err1 := m.Offset(yamldoc.Pos{Line: int(e.Range.Start.Line), Col: int(e.Range.Start.Character)}, yamldoc.UTF16)
		en, err2 := m.Offset(yamldoc.Pos{Line: int(e.Range.End.Line), Col: int(e.Range.End.Character)}, yamldoc.UTF16)
		if err1 != nil || err2 != nil {
			t.Fatalf("edit %v: %v %v", e.Range, err1, err2)
		}
		offs = append(offs, off{s, en, e.NewText})
	}
	sort.Slice(offs, func(i, j int) bool { return offs[i].start > offs[j].start })
	for i, o := range offs {
		if i > 0 && o.end > offs[i-1].start {
			t.Fatalf("overlapping edits %v", edits)
		}
		text = text[:o.start] + o.text + text[o.end:]
	}
	return text
}

func (s *session) codeActions(u uri.URI, r protocol.Range, diags []protocol.Diagnostic, only ...protocol.CodeActionKind) []protocol.CodeAction {
	s.t.Helper()
	got, err := s.server.CodeAction(s.ctx(), &protocol.CodeActionParams{
		TextDocument: protocol.TextDocumentIdentifier{URI: u},
		Range:        r,
		Context:      protocol.CodeActionContext{Diagnostics: diags, Only: only},
	})
	if err != nil {
		s.t.Fatalf("codeAction: %v", err)
	}
	var out []protocol.CodeAction
	for _, a := range got {
		ca, ok := a.(*protocol.CodeAction)
		if !ok {
			s.t.Fatalf("got a bare command %#v", a)
		}
		out = append(out, *ca)
	}
	return out
}

func actionTitles(as []protocol.CodeAction) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.Title)
	}
	return out
}

func actionNamed(t *testing.T, as []protocol.CodeAction, prefix string) protocol.CodeAction {
	t.Helper()
	for _, a := range as {
		if strings.HasPrefix(a.Title, prefix) {
			return a
		}
	}
	t.Fatalf("no action %q in %q", prefix, actionTitles(as))
	return protocol.CodeAction{}
}

func diagnosticOn(t *testing.T, diags []protocol.Diagnostic, code string, line uint32) protocol.Diagnostic {
	t.Helper()
	for _, d := range diags {
		if c, ok := d.Code.(protocol.String); ok && string(c) == code && d.Range.Start.Line == line {
			return d
		}
	}
	var where []string
	for _, d := range diags {
		where = append(where, fmt.Sprintf("%v@%d", d.Code, d.Range.Start.Line))
	}
	t.Fatalf("no %s diagnostic on line %d in %v", code, line, where)
	return protocol.Diagnostic{}
}

func TestQuickFixAndSuppress(t *testing.T) {
	t.Parallel()
	s, _ := newEditSession(t, vscodeCaps)
	u := uri.File("/work/deploy.yaml")
	s.open(u, "yaml", fixDeployment)
	diags := s.diagnosticsAt(u, 1)
	priv := diagnosticOn(t, diags, "privileged-container", 15)

	actions := s.codeActions(u, priv.Range, []protocol.Diagnostic{priv}, protocol.CodeActionKindQuickFix)
	fix := actionNamed(t, actions, "Set privileged: false")
	if fix.Title != `Set privileged: false in container "web"` || !isTrue(fix.IsPreferred) || *fix.Kind != protocol.CodeActionKindQuickFix {
		t.Errorf("quick fix %q preferred=%v kind=%v", fix.Title, fix.IsPreferred, fix.Kind)
	}
	if len(fix.Diagnostics) != 1 || fix.Diagnostics[0].Range != priv.Range {
		t.Errorf("quick fix diagnostics %v", fix.Diagnostics)
	}
	v := int32(1)
	got := applyWorkspaceEdit(t, fixDeployment, u, fix.Edit, &v)
	if want := strings.Replace(fixDeployment, "privileged: true # debugging", "privileged: false # debugging", 1); got != want {
		t.Errorf("after the quick fix:\n%s", got)
	}

	sup := actionNamed(t, actions, "Suppress privileged-container")
	if sup.Title != "Suppress privileged-container for Deployment web" || isTrue(sup.IsPreferred) {
		t.Errorf("suppress action %q preferred=%v", sup.Title, sup.IsPreferred)
	}
	got = applyWorkspaceEdit(t, fixDeployment, u, sup.Edit, &v)
	if want := strings.Replace(fixDeployment, "  name: web\n", "  name: web\n  annotations:\n    ignore.kube-policy-ls.io/privileged-container: \"TODO: reason\"\n", 1); got != want {
		t.Errorf("after suppress:\n%s", got)
	}
	// The suppressed finding is gone once the editor applies it.
	s.change(u, 2, whole(got))
	if diags := s.diagnosticsAt(u, 2); countCode(diags, "privileged-container") != 1 {
		t.Errorf("after suppressing it on the Deployment, privileged-container should remain on the Pod only: %v", codes(diags))
	}
}

func countCode(diags []protocol.Diagnostic, code string) int {
	n := 0
	for _, c := range codes(diags) {
		if c == code {
			n++
		}
	}
	return n
}

// TestQuickFixUTF16 fixes the privileged container written in flow style after non-ASCII
// text: the edit's columns count UTF-16 code units.
func TestQuickFixUTF16(t *testing.T) {
	t.Parallel()
	s, _ := newEditSession(t, plainCaps)
	u := uri.File("/work/deploy.yaml")
	s.open(u, "yaml", fixDeployment)
	priv := diagnosticOn(t, s.diagnosticsAt(u, 1), "privileged-container", 32)
	fix := actionNamed(t, s.codeActions(u, priv.Range, []protocol.Diagnostic{priv}), "Set privileged: false")
	if len(fix.Edit.DocumentChanges) != 0 || len(fix.Edit.Changes[u]) != 1 {
		t.Fatalf("a client without documentChanges gets changes: %+v", fix.Edit)
	}
	got := applyWorkspaceEdit(t, fixDeployment, u, fix.Edit, nil)
	if want := strings.Replace(fixDeployment, "securityContext: {privileged: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem", "securityContext: {privileged: false, allowPrivilegeEscalation: false, readOnlyRootFilesystem", 1); got != want {
		t.Errorf("after the quick fix:\n%s", got)
	}
}

func TestFixAllResolvedLazily(t *testing.T) {
	t.Parallel()
	s, _ := newEditSession(t, vscodeCaps)
	u := uri.File("/work/deploy.yaml")
	s.open(u, "yaml", fixDeployment)
	ro := diagnosticOn(t, s.diagnosticsAt(u, 1), "read-only-root-filesystem", 12) // container "web"'s entry
	actions := s.codeActions(u, ro.Range, []protocol.Diagnostic{ro}, protocol.CodeActionKindQuickFix)
	all := actionNamed(t, actions, "Fix all read-only-root-filesystem problems in this file (2)")
	if all.Edit != nil || len(all.Data) == 0 || all.Command.Command != cmdFixAll {
		t.Fatalf("fix-all should be lazy (data for resolve, command for applyEdit): %+v", all)
	}
	resolved, err := s.server.CodeActionResolve(s.ctx(), &all)
	if err != nil {
		t.Fatal(err)
	}
	v := int32(1)
	got := applyWorkspaceEdit(t, fixDeployment, u, resolved.Edit, &v)
	if strings.Count(got, "readOnlyRootFilesystem: true") != 3 {
		t.Errorf("after fix-all:\n%s", got)
	}
	res := analyzeDirect(t, analysis.Config{}, got)
	for _, f := range res.Findings {
		if f.Rule == "read-only-root-filesystem" {
			t.Errorf("still there: %s", f.Message)
		}
	}
	// The edit keeps each container's style: block below the key, flow inside the braces.
	if !strings.Contains(got, "            runAsUser: 10001\n            capabilities: {drop: [ALL]}\n            readOnlyRootFilesystem: true\n") ||
		!strings.Contains(got, "securityContext: {allowPrivilegeEscalation: false, runAsUser: 10001, capabilities: {drop: [ALL]}, readOnlyRootFilesystem: true}") {
		t.Errorf("fix-all output:\n%s", got)
	}
}

// runFixAllCommand runs a fix-all's command on text (version 1 of u) and returns the text
// with the one edit the server sent through workspace/applyEdit.
func runFixAllCommand(t *testing.T, s *session, client *editClient, cmd protocol.Command, text string, u uri.URI) string {
	t.Helper()
	if _, err := s.server.ExecuteCommand(s.ctx(), &protocol.ExecuteCommandParams{Command: cmd.Command, Arguments: cmd.Arguments}); err != nil {
		t.Fatal(err)
	}
	client.mu.Lock()
	applied := slices.Clone(client.applied)
	client.mu.Unlock()
	if len(applied) != 1 {
		t.Fatalf("%d applyEdit requests, want 1", len(applied))
	}
	v := int32(1)
	return applyWorkspaceEdit(t, text, u, &applied[0], &v)
}

func TestFixAllCommand(t *testing.T) {
	t.Parallel()
	s, client := newEditSession(t, vscodeCaps)
	u := uri.File("/work/deploy.yaml")
	s.open(u, "yaml", fixDeployment)
	s.diagnosticsAt(u, 1)
	actions := s.codeActions(u, protocol.Range{}, nil, protocol.CodeActionKindSourceFixAll)
	if len(actions) != 1 || *actions[0].Kind != kindFixAll {
		t.Fatalf("only source.fixAll: %q", actionTitles(actions))
	}
	cmd := actions[0].Command
	got := runFixAllCommand(t, s, client, cmd, fixDeployment, u)
	for _, f := range analyzeDirect(t, analysis.Config{}, got).Findings {
		if f.Fixable() {
			t.Errorf("fixable finding left: %s %s", f.Rule, f.Message)
		}
	}
	// Once the editor has the fixed text, the same command changes nothing.
	s.change(u, 2, whole(got))
	s.diagnosticsAt(u, 2)
	if _, err := s.server.ExecuteCommand(s.ctx(), &protocol.ExecuteCommandParams{Command: cmd.Command, Arguments: cmd.Arguments}); err != nil {
		t.Fatal(err)
	}
	client.mu.Lock()
	n := len(client.applied)
	client.mu.Unlock()
	if n != 1 {
		t.Errorf("a second fix-all sent another edit")
	}
	if _, err := s.server.ExecuteCommand(s.ctx(), &protocol.ExecuteCommandParams{Command: "nope"}); err == nil {
		t.Error("unknown command accepted")
	}
}

func TestFixAllEagerForSimpleClients(t *testing.T) {
	t.Parallel()
	s, _ := newEditSession(t, plainCaps)
	u := uri.File("/work/deploy.yaml")
	s.open(u, "yaml", fixDeployment)
	ro := diagnosticOn(t, s.diagnosticsAt(u, 1), "read-only-root-filesystem", 12) // container "web"'s entry
	actions := s.codeActions(u, ro.Range, nil)
	all := actionNamed(t, actions, "Fix all read-only-root-filesystem")
	if all.Edit == nil || all.Command.Command != "" || len(all.Data) != 0 {
		t.Fatalf("a client without resolve or applyEdit gets the edit at once: %+v", all)
	}
	// asked for every kind, the file's fix-all comes once: as a quick fix, for Ctrl+. menus
	src := actionNamed(t, actions, "Fix all kube-policy-ls problems")
	if src.Edit == nil || *src.Kind != protocol.CodeActionKindQuickFix {
		t.Errorf("file fix-all: %+v", src)
	}
	if n := strings.Count(strings.Join(actionTitles(actions), "\n"), "Fix all kube-policy-ls problems"); n != 1 {
		t.Errorf("the file's fix-all offered %d times: %q", n, actionTitles(actions))
	}
	// asked for source actions (fix on save, the Source Action menu), it is source.fixAll
	src = actionNamed(t, s.codeActions(u, ro.Range, nil, protocol.CodeActionKindSource), "Fix all kube-policy-ls problems")
	if *src.Kind != kindFixAll {
		t.Errorf("source fix-all: %+v", src)
	}
	// asked for quick fixes only (VS Code's Ctrl+.), it is there too
	actionNamed(t, s.codeActions(u, ro.Range, nil, protocol.CodeActionKindQuickFix), "Fix all kube-policy-ls problems")
	// Without a diagnostic in the request, the findings under the range are used.
	if !slices.Contains(actionTitles(actions), `Set readOnlyRootFilesystem: true in container "web"`) {
		t.Errorf("actions at the range: %q", actionTitles(actions))
	}
}

func TestSuppressSnippet(t *testing.T) {
	t.Parallel()
	s, _ := newEditSession(t, snippetCaps)
	u := uri.File("/work/deploy.yaml")
	s.open(u, "yaml", fixDeployment)
	priv := diagnosticOn(t, s.diagnosticsAt(u, 1), "privileged-container", 32)
	sup := actionNamed(t, s.codeActions(u, priv.Range, []protocol.Diagnostic{priv}), "Suppress privileged-container for Pod debug")
	tde := sup.Edit.DocumentChanges[0].(*protocol.TextDocumentEdit)
	snip, ok := tde.Edits[0].(*protocol.SnippetTextEdit)
	if !ok {
		t.Fatalf("suppress edit is %#v, want a snippet", tde.Edits[0])
	}
	if want := "\n  annotations:\n    ignore.kube-policy-ls.io/privileged-container: \"${1:TODO: reason}\""; snip.Snippet.Value != want {
		t.Errorf("snippet %q, want %q", snip.Snippet.Value, want)
	}
	if got := snippetWithPlaceholder(`a $b} \c TODO x`, "TODO"); got != `a \$b\} \\c ${1:TODO} x` {
		t.Errorf("snippet escaping: %q", got)
	}
}

// TestFixRefusedIsDisabled: a fix through an alias would change every place that uses it, so
// it is offered disabled, with the reason, to clients that show disabled actions.
func TestFixRefusedIsDisabled(t *testing.T) {
	t.Parallel()
	s, _ := newEditSession(t, vscodeCaps)
	u := uri.File("/work/alias.yaml")
	text := `apiVersion: v1
kind: Pod
metadata:
  name: shared
spec:
  containers:
  - name: a
    image: x
    securityContext: &sc
      privileged: true
  - name: b
    image: x
    securityContext: *sc
`
	s.open(u, "yaml", text)
	diags := s.diagnosticsAt(u, 1)
	ro := diagnosticOn(t, diags, "read-only-root-filesystem", 10) // container "b"'s entry
	actions := s.codeActions(u, ro.Range, []protocol.Diagnostic{ro}, protocol.CodeActionKindQuickFix)
	fix := actionNamed(t, actions, "Set readOnlyRootFilesystem: true in container \"b\"")
	if fix.Disabled.Reason == "" || !strings.Contains(fix.Disabled.Reason, "alias") || fix.Edit != nil {
		t.Errorf("fix through an alias: %+v", fix)
	}
	if raw, _ := json.Marshal(fix); !strings.Contains(string(raw), `"disabled"`) {
		t.Errorf("disabled not sent: %s", raw)
	}
}
