package lsp

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"weak"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"
	"go.uber.org/zap"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/fix"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"
)

// Code actions (SPEC.md section 8): first, where the cursor has several fixable findings of
// one container (a container's entry line carries up to eight missing fields), "Fix all N
// problems in container X"; then for each finding under the cursor, its quick fix and a
// "Suppress" action, with their edits; "Fix all <rule> problems in this file" when the rule
// has several fixable findings; and "Fix all kube-policy-ls problems in this file" for every
// fixable finding of the file, as a quick fix (so that it is in VS Code's Ctrl+. menu, which
// leaves source actions out) and as source.fixAll.kube-policy-ls (for fix on save and the
// Source Action menu); a client that asks for every kind gets it once, as the quick fix. The fix-all actions are computed only when chosen: the client resolves their edit
// (codeAction/resolve) or runs their command, which applies the edit with workspace/applyEdit.
// Both compute the fixes on the document's latest text, and fix-all reaches a fixed point in
// one pass, so a client that does both (resolves the edit, then runs the command) changes the
// document once.

// cmdFixAll applies the fixes of a file (optionally of one rule): arguments [fixAllArgs].
const cmdFixAll = Name + ".fixAll"

// commands are the server's own commands (workspace/executeCommand), advertised in
// initialize.
var commands = []string{cmdFixAll, cmdDebugState}

// kindFixAll is the server's source.fixAll action kind.
var kindFixAll = protocol.CodeActionKind(string(protocol.CodeActionKindSourceFixAll) + "." + Name)

// codeAction answers textDocument/codeAction. The diagnostics in p.Context carry
// diagnosticData; s.snapshot gives the document's latest analysis.
func (s *Server) codeAction(ctx context.Context, p *protocol.CodeActionParams) ([]protocol.CodeAction, error) {
	if o, path, err := s.chartAt(ctx, p.TextDocument.URI); err != nil || o != nil {
		if err != nil {
			return nil, err
		}
		return s.chartCodeActions(o, path, p)
	}
	snap, err := s.snapshot(ctx, p.TextDocument.URI)
	if err != nil || snap == nil || snap.Result == nil {
		if err != nil {
			return nil, err
		}
		return s.overlayCodeActions(p), nil // a patch or kustomization: its overlays' findings
	}
	res := snap.Result
	enc := s.encoding()
	caps := s.capabilities()
	want := kindFilter(p.Context.Only)

	start, err1 := offsetOf(snap.Mapper, p.Range.Start, enc)
	end, err2 := offsetOf(snap.Mapper, p.Range.End, enc)
	if err1 != nil || err2 != nil {
		return nil, jsonrpc2.Errorf(jsonrpc2.InvalidParams, "range %v is outside the document", p.Range)
	}
	diags := map[string]protocol.Diagnostic{} // by finding key
	for _, d := range snap.Diags {
		if data, ok := decodeDiagnosticData(d); ok {
			diags[data.Key] = d
		}
	}
	var findings []analysis.Finding
	seen := map[string]bool{}
	add := func(f analysis.Finding) {
		if k := findingKey(&f); !seen[k] {
			seen[k] = true
			findings = append(findings, f)
		}
	}
	for _, d := range p.Context.Diagnostics {
		if data, ok := decodeDiagnosticData(d); ok {
			if f, ok := findFinding(res, data.Key); ok {
				diags[data.Key] = d
				add(f)
			}
		}
	}
	for _, f := range res.Findings {
		if f.Range.Start <= end && start <= f.Range.End {
			add(f)
		}
	}

	var actions []protocol.CodeAction
	if want(protocol.CodeActionKindQuickFix) {
		if a, ok := s.containerFixAll(snap, findings, caps); ok {
			actions = append(actions, a)
		}
		fixAllOffered := map[string]bool{}
		for _, f := range findings {
			key := findingKey(&f)
			var related []protocol.Diagnostic
			if d, ok := diags[key]; ok {
				related = []protocol.Diagnostic{d}
			}
			if f.Fixable() {
				if a, ok := s.fixAction(snap, f, related, caps); ok {
					actions = append(actions, a)
				}
				if !fixAllOffered[f.Rule] {
					fixAllOffered[f.Rule] = true
					if n := countFixable(res, f.Rule); n > 1 {
						title := fmt.Sprintf("Fix all %s problems in this file (%d)", f.Rule, n)
						actions = append(actions, s.fixAllAction(snap, title, protocol.CodeActionKindQuickFix, fixAllArgs{URI: snap.URI, Rule: f.Rule}, caps))
					}
				}
			}
			if a, ok := s.suppressAction(snap, f, related, caps); ok {
				actions = append(actions, a)
			}
		}
	}
	fileTitle := fmt.Sprintf("Fix all %s problems in this file (%d)", Name, countFixable(res, ""))
	quickFixAll := want(protocol.CodeActionKindQuickFix) && len(findings) > 0 && countFixable(res, "") > 1
	if quickFixAll {
		actions = append(actions, s.fixAllAction(snap, fileTitle, protocol.CodeActionKindQuickFix, fixAllArgs{URI: snap.URI}, caps))
	}
	if want(kindFixAll) && !(quickFixAll && len(p.Context.Only) == 0) && countFixable(res, "") > 0 {
		actions = append(actions, s.fixAllAction(snap, fileTitle, kindFixAll, fixAllArgs{URI: snap.URI}, caps))
	}
	return append(actions, s.overlayCodeActions(p)...), nil
}

// kindFilter returns whether an action kind is wanted by a request's "only" list: a kind is
// wanted when it is, or is below, one of the listed kinds (source.fixAll covers
// source.fixAll.kube-policy-ls). An empty list wants everything.
func kindFilter(only []protocol.CodeActionKind) func(protocol.CodeActionKind) bool {
	return func(k protocol.CodeActionKind) bool {
		if len(only) == 0 {
			return true
		}
		for _, o := range only {
			if k == o || strings.HasPrefix(string(k), string(o)+".") {
				return true
			}
		}
		return false
	}
}

// countFixable counts the fixable findings of rule ("" for every rule).
func countFixable(res *analysis.Result, rule string) int {
	n := 0
	for i := range res.Findings {
		if res.Findings[i].Fixable() && (rule == "" || res.Findings[i].Rule == rule) {
			n++
		}
	}
	return n
}

// fixAction is the quick fix of one finding, with its edit. A fix that cannot be applied
// safely (through an alias shared with other places, say) is shown disabled, with the
// reason, to clients that support it.
func (s *Server) fixAction(snap *Snapshot, f analysis.Finding, related []protocol.Diagnostic, caps protocol.ClientCapabilities) (protocol.CodeAction, bool) {
	res := snap.Result
	a := protocol.CodeAction{
		Title:       res.FixTitle(f),
		Kind:        ptr(protocol.CodeActionKindQuickFix),
		Diagnostics: related,
	}
	m := memoFor(res).get("fix"+findingKey(&f), func() fixMemoEntry {
		edits, err := res.FixEdits(f)
		return fixMemoEntry{edits: edits, err: err}
	})
	edits, err := m.edits, m.err
	switch {
	case err != nil:
		if !supportsDisabled(caps) {
			return a, false
		}
		a.Disabled = protocol.CodeActionDisabled{Reason: "cannot fix safely: " + err.Error()}
		return a, true
	case len(edits) == 0:
		return a, false
	}
	if snap.Engine != nil && snap.Engine.FixPreferred(f) {
		a.IsPreferred = ptr(true)
	}
	a.Edit = s.workspaceEdit(snap, edits, caps, "")
	return a, true
}

// suppressAction writes the suppression annotation of SPEC.md section 5 into the finding's
// object, its reason a placeholder that clients with snippet edits select for typing over.
func (s *Server) suppressAction(snap *Snapshot, f analysis.Finding, related []protocol.Diagnostic, caps protocol.ClientCapabilities) (protocol.CodeAction, bool) {
	if snap.Engine == nil || f.Object.Kind == "" {
		return protocol.CodeAction{}, false
	}
	if r, ok := snap.Engine.Rule(f.Rule); !ok || r.Package == "" {
		return protocol.CodeAction{}, false // the engine's own findings (syntax, suppressions) have no annotation
	}
	m := memoFor(snap.Result).get("suppress"+findingKey(&f), func() fixMemoEntry {
		edits, err := snap.Result.SuppressEdits(f)
		return fixMemoEntry{edits: edits, err: err}
	})
	edits, err := m.edits, m.err
	if err != nil || len(edits) == 0 {
		return protocol.CodeAction{}, false
	}
	object := f.Object.Kind
	if f.Object.Name != "" {
		object += " " + f.Object.Name
	}
	return protocol.CodeAction{
		Title:       fmt.Sprintf("Suppress %s for %s", f.Rule, object),
		Kind:        ptr(protocol.CodeActionKindQuickFix),
		Diagnostics: related,
		Edit:        s.workspaceEdit(snap, edits, caps, analysis.SuppressPlaceholder),
	}, true
}

// fixAllAction is a fix-all whose edit is computed when the action is chosen: resolved
// lazily by clients that can, applied by its command (workspace/applyEdit) by the others.
// A client that can do neither gets the edit at once.
func (s *Server) fixAllAction(snap *Snapshot, title string, kind protocol.CodeActionKind, args fixAllArgs, caps protocol.ClientCapabilities) protocol.CodeAction {
	raw, _ := json.Marshal(args)
	a := protocol.CodeAction{Title: title, Kind: ptr(kind)}
	lazy := false
	if resolvesEdits(caps) {
		a.Data = protocol.LSPAny(raw)
		lazy = true
	}
	if caps.Workspace != nil && isTrue(caps.Workspace.ApplyEdit) {
		a.Command = protocol.Command{Title: title, Command: cmdFixAll, Arguments: []protocol.LSPAny{protocol.LSPAny(raw)}}
		lazy = true
	}
	if !lazy {
		if edit := s.fixAllEdit(snap, args, caps); edit != nil {
			a.Edit = edit
		}
	}
	return a
}

// fixAllEdit computes a fix-all on snap, nil when it changes nothing.
func (s *Server) fixAllEdit(snap *Snapshot, args fixAllArgs, caps protocol.ClientCapabilities) *protocol.WorkspaceEdit {
	key, _ := json.Marshal(fixAllArgs{Rule: args.Rule, Container: args.Container})
	m := memoFor(snap.Result).get("fixAll "+string(key), func() fixMemoEntry {
		rep := snap.Result.FixAll(args.keep(snap.Result))
		for _, ff := range rep.Failed {
			s.log.Info("fix skipped", zap.String("uri", string(snap.URI)), zap.String("rule", ff.Finding.Rule), zap.Error(ff.Err))
		}
		return fixMemoEntry{edits: rep.Edits}
	})
	if len(m.edits) == 0 {
		return nil
	}
	return s.workspaceEdit(snap, m.edits, caps, "")
}

// resolveCodeAction fills in the edit of a code action returned without one.
func (s *Server) resolveCodeAction(ctx context.Context, a *protocol.CodeAction) (*protocol.CodeAction, error) {
	var args fixAllArgs
	if len(a.Data) == 0 || json.Unmarshal(a.Data, &args) != nil || args.URI == "" {
		return a, nil
	}
	snap, err := s.snapshot(ctx, args.URI)
	if err != nil {
		return nil, err
	}
	if snap == nil || snap.Result == nil {
		return nil, jsonrpc2.Errorf(jsonrpc2.InvalidParams, "%s is not open", args.URI)
	}
	out := *a
	out.Edit = s.fixAllEdit(snap, args, s.capabilities())
	if out.Edit == nil {
		out.Edit = &protocol.WorkspaceEdit{}
	}
	return &out, nil
}

// executeCommand runs one of the server's commands.
func (s *Server) executeCommand(ctx context.Context, p *protocol.ExecuteCommandParams) (any, error) {
	if p.Command == cmdDebugState {
		return s.debugState(p)
	}
	if p.Command != cmdFixAll {
		return nil, jsonrpc2.Errorf(jsonrpc2.InvalidParams, "unknown command %q", p.Command)
	}
	var args fixAllArgs
	if len(p.Arguments) != 1 || json.Unmarshal(p.Arguments[0], &args) != nil || args.URI == "" {
		return nil, jsonrpc2.Errorf(jsonrpc2.InvalidParams, "%s takes one argument {\"uri\": ..., \"rule\": ...}", cmdFixAll)
	}
	snap, err := s.snapshot(ctx, args.URI)
	if err != nil {
		return nil, err
	}
	if snap == nil || snap.Result == nil {
		return nil, jsonrpc2.Errorf(jsonrpc2.InvalidParams, "%s is not open", args.URI)
	}
	edit := s.fixAllEdit(snap, args, s.capabilities())
	if edit == nil {
		return nil, nil // already fixed (the client applied the resolved edit, say)
	}
	label := "Fix all " + Name + " problems"
	switch {
	case args.Container != nil:
		label = "Fix all problems in " + args.Container.Label
	case args.Rule != "":
		label = "Fix all " + args.Rule + " problems"
	}
	applied, err := s.client.ApplyEdit(ctx, &protocol.ApplyWorkspaceEditParams{Label: &label, Edit: *edit})
	if err != nil {
		return nil, fmt.Errorf("workspace/applyEdit: %w", err)
	}
	if !applied.Applied {
		reason := "no reason given"
		if applied.FailureReason != nil {
			reason = *applied.FailureReason
		}
		s.log.Info("client did not apply the fix-all", zap.String("uri", string(args.URI)), zap.String("reason", reason))
	}
	return nil, nil
}

// workspaceEdit turns edits of snap's text into a WorkspaceEdit (see workspaceEditOf).
func (s *Server) workspaceEdit(snap *Snapshot, edits []fix.Edit, caps protocol.ClientCapabilities, placeholder string) *protocol.WorkspaceEdit {
	version := snap.Version
	return s.workspaceEditOf([]fileEdits{{uri: snap.URI, version: &version, mapper: snap.Result.Mapper, edits: edits}}, caps, placeholder)
}

// fileEdits are edits of one file's text.
type fileEdits struct {
	path    string
	uri     uri.URI
	version *int32 // the open document's; nil for a file that is not open
	mapper  *yamldoc.Mapper
	edits   []fix.Edit
}

// workspaceEditOf turns edits of files into a WorkspaceEdit: documentChanges with each open
// document's version when the client supports them (so that a stale edit is refused),
// changes otherwise. With a placeholder and a client that takes snippet edits, the edit that
// writes it becomes a snippet with the placeholder selected.
func (s *Server) workspaceEditOf(files []fileEdits, caps protocol.ClientCapabilities, placeholder string) *protocol.WorkspaceEdit {
	enc := s.encoding()
	var we *protocol.WorkspaceEditClientCapabilities
	if caps.Workspace != nil {
		we = caps.Workspace.WorkspaceEdit
	}
	if we == nil || !isTrue(we.DocumentChanges) {
		changes := map[uri.URI][]protocol.TextEdit{}
		for _, f := range files {
			for _, e := range f.edits {
				changes[f.uri] = append(changes[f.uri], protocol.TextEdit{Range: toRange(f.mapper, e.Range, enc), NewText: e.NewText})
			}
		}
		return &protocol.WorkspaceEdit{Changes: changes}
	}
	snippets := placeholder != "" && isTrue(we.SnippetEditSupport)
	out := &protocol.WorkspaceEdit{}
	for _, f := range files {
		elems := make([]protocol.TextDocumentEditElement, len(f.edits))
		for i, e := range f.edits {
			r := toRange(f.mapper, e.Range, enc)
			if snippets && strings.Contains(e.NewText, placeholder) {
				elems[i] = &protocol.SnippetTextEdit{Range: r, Snippet: protocol.StringValue{Kind: "snippet", Value: snippetWithPlaceholder(e.NewText, placeholder)}}
				snippets = false
				continue
			}
			elems[i] = &protocol.TextEdit{Range: r, NewText: e.NewText}
		}
		out.DocumentChanges = append(out.DocumentChanges, &protocol.TextDocumentEdit{
			TextDocument: protocol.OptionalVersionedTextDocumentIdentifier{TextDocumentIdentifier: protocol.TextDocumentIdentifier{URI: f.uri}, Version: f.version},
			Edits:        elems,
		})
	}
	return out
}

// snippetWithPlaceholder escapes text for snippet syntax and turns the first placeholder into
// the snippet's first tab stop, selected.
func snippetWithPlaceholder(text, placeholder string) string {
	esc := strings.NewReplacer(`\`, `\\`, `$`, `\$`, `}`, `\}`)
	before, after, _ := strings.Cut(text, placeholder)
	return esc.Replace(before) + "${1:" + esc.Replace(placeholder) + "}" + esc.Replace(after)
}

func resolvesEdits(caps protocol.ClientCapabilities) bool {
	if caps.TextDocument == nil || caps.TextDocument.CodeAction == nil || !isTrue(caps.TextDocument.CodeAction.DataSupport) {
		return false
	}
	for _, p := range caps.TextDocument.CodeAction.ResolveSupport.Properties {
		if p == "edit" {
			return true
		}
	}
	return false
}

func supportsDisabled(caps protocol.ClientCapabilities) bool {
	return caps.TextDocument != nil && caps.TextDocument.CodeAction != nil && isTrue(caps.TextDocument.CodeAction.DisabledSupport)
}

// Editors ask for code actions again and again at the same spot of the same text (each cursor
// move, each lightbulb), so the edits computed for an analysis are kept while that analysis
// lives: the memo of a Result goes when the Result is collected.

// fixMemo holds the edits computed for one analysis.Result, by what they are for.
type fixMemo struct {
	mu      sync.Mutex
	entries map[string]fixMemoEntry
}

type fixMemoEntry struct {
	edits []fix.Edit
	err   error
}

var fixMemos sync.Map // weak.Pointer[analysis.Result] -> *fixMemo

// memoFor returns the memo of res.
func memoFor(res *analysis.Result) *fixMemo {
	key := weak.Make(res)
	if m, ok := fixMemos.Load(key); ok {
		return m.(*fixMemo)
	}
	m, loaded := fixMemos.LoadOrStore(key, &fixMemo{entries: map[string]fixMemoEntry{}})
	if !loaded {
		runtime.AddCleanup(res, func(k weak.Pointer[analysis.Result]) { fixMemos.Delete(k) }, key)
	}
	return m.(*fixMemo)
}

// get returns the entry for key, computing it the first time.
func (m *fixMemo) get(key string, compute func() fixMemoEntry) fixMemoEntry {
	m.mu.Lock()
	e, ok := m.entries[key]
	m.mu.Unlock()
	if ok {
		return e
	}
	e = compute()
	m.mu.Lock()
	m.entries[key] = e
	m.mu.Unlock()
	return e
}
