package soak

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"
)

// The soak client's moves: requests with a deadline, typing, opening, pulling diagnostics,
// code actions and fix-all, as an editor makes them.

// ctx bounds one request: past it, the server hangs.
func (k *soak) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(k.s.Ctx, hang)
}

// call sends a request and decodes its result into out. A jsonrpc2 error other than an
// internal one (a stale range, a document just closed) is counted and returned; a timeout or
// an internal error (a recovered panic) fails the test.
func (k *soak) call(method string, params, out any) error {
	ctx, cancel := k.ctx()
	defer cancel()
	var raw json.RawMessage
	_, err := k.s.Conn.Call(ctx, method, params, &raw)
	var rpcErr *jsonrpc2.Error
	switch {
	case err == nil:
		if out != nil && len(raw) > 0 && string(raw) != "null" {
			if err := json.Unmarshal(raw, out); err != nil {
				k.t.Fatalf("%s: result %s: %v", method, raw, err)
			}
		}
		return nil
	case errors.As(err, &rpcErr) && rpcErr.Code != jsonrpc2.InternalError:
		k.n.refused++
		return err
	case errors.Is(err, context.DeadlineExceeded):
		k.t.Fatalf("hang: %s unanswered for %v", method, hang)
	}
	k.t.Fatalf("%s: %v", method, err)
	return err
}

func (k *soak) notify(method string, params any) {
	ctx, cancel := k.ctx()
	defer cancel()
	if err := k.s.Conn.Notify(ctx, method, params); err != nil {
		k.t.Fatalf("%s: %v", method, err)
	}
}

func (k *soak) open(e *entry) {
	e.d.version++
	e.open = true
	k.notify(protocol.MethodTextDocumentDidOpen, &protocol.DidOpenTextDocumentParams{TextDocument: protocol.TextDocumentItem{
		URI: e.u, LanguageID: "yaml", Version: e.d.version, Text: e.d.text,
	}})
}

// send sends one didChange of e.
func (k *soak) send(e *entry, changes ...protocol.TextDocumentContentChangeEvent) {
	e.d.version++
	if !k.quiet {
		k.n.edits++
	}
	k.notify(protocol.MethodTextDocumentDidChange, &protocol.DidChangeTextDocumentParams{
		TextDocument:   protocol.VersionedTextDocumentIdentifier{TextDocumentIdentifier: protocol.TextDocumentIdentifier{URI: e.u}, Version: e.d.version},
		ContentChanges: changes,
	})
}

// pick chooses an open document by weight (a closed one is reopened).
func (k *soak) pick() *entry {
	total := 0
	for _, e := range k.all {
		total += e.weight
	}
	n := k.r.IntN(total)
	for _, e := range k.all {
		if n < e.weight {
			if !e.open {
				k.open(e)
				k.n.reopens++
			}
			return e
		}
		n -= e.weight
	}
	return k.all[0]
}

// step is one thing the editor does.
func (k *soak) step() {
	e := k.pick()
	switch n := k.r.IntN(1000); {
	case n < 700: // a burst of typing
		if e.d.cursor > len(e.d.text) || k.r.IntN(3) == 0 {
			e.d.cursor = boundary(e.d.text, k.r.IntN(len(e.d.text)+1))
		}
		for range 1 + k.r.IntN(8) {
			ev := e.d.apply(e.d.keystroke(k.r))
			k.send(e, ev)
			k.n.keystrokes++
			sent := time.Now()
			if k.r.IntN(3) == 0 {
				k.pullAsync(e, sent)
			}
			time.Sleep(time.Duration(15+k.r.IntN(95)) * time.Millisecond)
		}
		time.Sleep(time.Duration(k.r.IntN(300)) * time.Millisecond)
	case n < 760: // several changes in one notification, as an editor's auto-edits
		var evs []protocol.TextDocumentContentChangeEvent
		for range 2 + k.r.IntN(3) {
			evs = append(evs, e.d.apply(e.d.keystroke(k.r)))
		}
		k.send(e, evs...)
		k.n.batches++
	case n < 790: // a paste over a selection
		src := k.all[k.r.IntN(len(k.all))].d.text
		a, b := (&doc{text: src}).selection(k.r, 400)
		start, end := e.d.selection(k.r, 60)
		k.send(e, e.d.apply(change{start, end, src[a:b]}))
		k.n.pastes++
	case n < 805: // the whole text: the original, or the current one with a part doubled
		text := e.original
		if k.r.IntN(2) == 0 {
			a, b := e.d.selection(k.r, 2000)
			text = e.d.text[:b] + e.d.text[a:b] + e.d.text[b:]
		}
		e.d.text, e.d.cursor = text, 0
		k.send(e, &protocol.TextDocumentContentChangeWholeDocument{Text: text})
		k.n.replacements++
	case n < 820: // close; the next pick reopens it
		e.open = false
		k.notify(protocol.MethodTextDocumentDidClose, &protocol.DidCloseTextDocumentParams{TextDocument: protocol.TextDocumentIdentifier{URI: e.u}})
	case n < 830:
		k.configure(settingsCycle[k.r.IntN(len(settingsCycle))])
	case n < 930:
		k.codeAction(e)
	case n < 950:
		k.fixAll(e)
	case n < 960:
		k.call(protocol.MethodWorkspaceExecuteCommand, &protocol.ExecuteCommandParams{
			Command: "kube-policy-ls.fixAll", Arguments: []protocol.LSPAny{protocol.LSPAny(`{"uri":"` + string(e.u) + `"}`)},
		}, nil)
		k.n.fixAllCommands++
	default:
		a, _ := e.d.selection(k.r, 0)
		t0 := time.Now()
		_ = k.call(protocol.MethodTextDocumentHover, &protocol.HoverParams{TextDocumentPositionParams: protocol.TextDocumentPositionParams{
			TextDocument: protocol.TextDocumentIdentifier{URI: e.u}, Position: position(e.d.text, a),
		}}, nil)
		k.n.hoverTimes = append(k.n.hoverTimes, time.Since(t0))
		k.n.hovers++
	}
}

func (k *soak) configure(settings string) {
	k.notify(protocol.MethodWorkspaceDidChangeConfiguration, &protocol.DidChangeConfigurationParams{
		Settings: protocol.LSPAny(`{"kubePolicy": ` + settings + `}`),
	})
	if !k.quiet {
		k.n.configs++
	}
}

// diagnosticReport is a pull's answer.
type diagnosticReport struct {
	Kind  string `json:"kind"`
	Items []struct {
		Range   protocol.Range  `json:"range"`
		Code    any             `json:"code"`
		Message string          `json:"message"`
		Data    json.RawMessage `json:"data"`
	} `json:"items"`
}

// pullAsync pulls e's diagnostics on a goroutine and records the time since the keystroke.
func (k *soak) pullAsync(e *entry, sent time.Time) {
	select {
	case k.flight <- struct{}{}:
	default:
		return // enough in flight: an editor would have cancelled the older ones
	}
	k.wg.Add(1)
	go func() {
		defer k.wg.Done()
		defer func() { <-k.flight }()
		ctx, cancel := k.ctx()
		defer cancel()
		var rep diagnosticReport
		_, err := k.s.Conn.Call(ctx, protocol.MethodTextDocumentDiagnostic, &protocol.DocumentDiagnosticParams{TextDocument: protocol.TextDocumentIdentifier{URI: e.u}}, &rep)
		took := time.Since(sent)
		k.mu.Lock()
		defer k.mu.Unlock()
		var rpcErr *jsonrpc2.Error
		switch {
		case err == nil:
			k.pulls[e.class] = append(k.pulls[e.class], took)
		case errors.Is(err, context.DeadlineExceeded):
			k.errs = append(k.errs, fmt.Sprintf("hang: a pull of %s unanswered for %v", e.name, hang))
		case errors.As(err, &rpcErr) && rpcErr.Code != jsonrpc2.InternalError:
		default:
			k.errs = append(k.errs, fmt.Sprintf("pull of %s: %v", e.name, err))
		}
	}()
}

// pullNow pulls e's diagnostics and returns them.
func (k *soak) pullNow(e *entry) diagnosticReport {
	var rep diagnosticReport
	if err := k.call(protocol.MethodTextDocumentDiagnostic, &protocol.DocumentDiagnosticParams{TextDocument: protocol.TextDocumentIdentifier{URI: e.u}}, &rep); err != nil {
		k.t.Fatalf("pull of %s: %v", e.name, err)
	}
	return rep
}

// action is a code action as the soak reads it.
type action struct {
	Title string          `json:"title"`
	Kind  string          `json:"kind"`
	Edit  *workspaceEdit  `json:"edit"`
	Data  json.RawMessage `json:"data"`
}

type workspaceEdit struct {
	Changes map[uri.URI][]protocol.TextEdit `json:"changes"`
}

// codeAction asks for the code actions of one of e's diagnostics (or of a random range) and
// sometimes applies the first quick fix, as the user choosing it would.
func (k *soak) codeAction(e *entry) {
	params := &protocol.CodeActionParams{TextDocument: protocol.TextDocumentIdentifier{URI: e.u}}
	rep := k.pullNow(e) // what the user sees, for the current text
	if len(rep.Items) > 0 {
		d := rep.Items[k.r.IntN(len(rep.Items))]
		params.Range = d.Range
		params.Context.Diagnostics = []protocol.Diagnostic{{Range: d.Range, Message: protocol.String(d.Message), Data: protocol.LSPAny(d.Data)}}
		if c, ok := d.Code.(string); ok {
			params.Context.Diagnostics[0].Code = protocol.String(c)
		}
	} else {
		a, b := e.d.selection(k.r, 200)
		params.Range = protocol.Range{Start: position(e.d.text, a), End: position(e.d.text, b)}
	}
	var actions []action
	t0 := time.Now()
	err := k.call(protocol.MethodTextDocumentCodeAction, params, &actions)
	k.n.codeActionTimes = append(k.n.codeActionTimes, time.Since(t0))
	k.n.codeActions++
	if err != nil || k.r.IntN(2) == 0 {
		return
	}
	for _, a := range actions {
		if a.Edit != nil && len(a.Edit.Changes[e.u]) > 0 {
			k.applyEdits(e, a.Edit.Changes[e.u])
			k.n.fixesApplied++
			return
		}
	}
}

// fixAll asks for the file's source.fixAll action, resolves its edit and applies it.
func (k *soak) fixAll(e *entry) {
	var actions []json.RawMessage
	err := k.call(protocol.MethodTextDocumentCodeAction, &protocol.CodeActionParams{
		TextDocument: protocol.TextDocumentIdentifier{URI: e.u},
		Range:        protocol.Range{End: position(e.d.text, len(e.d.text))},
		Context:      protocol.CodeActionContext{Only: []protocol.CodeActionKind{"source.fixAll.kube-policy-ls"}},
	}, &actions)
	if err != nil || len(actions) == 0 {
		return
	}
	var resolved action
	if k.call(protocol.MethodCodeActionResolve, actions[0], &resolved) != nil || resolved.Edit == nil {
		return
	}
	if edits := resolved.Edit.Changes[e.u]; len(edits) > 0 {
		k.applyEdits(e, edits)
		k.n.fixAlls++
	}
}

// applyEdits applies a server's edits of e's current text, as one didChange: from the last to
// the first, so that each change's positions hold in the text it applies to.
func (k *soak) applyEdits(e *entry, edits []protocol.TextEdit) {
	type located struct {
		i, start, end int
		text          string
	}
	var ls []located
	for i, te := range edits {
		start, err1 := offset(e.d.text, te.Range.Start)
		end, err2 := offset(e.d.text, te.Range.End)
		if err1 != nil || err2 != nil || end < start {
			k.t.Fatalf("the server's edit %v of %s does not fit its text (version %d): %v %v", te.Range, e.name, e.d.version, err1, err2)
		}
		ls = append(ls, located{i, start, end, te.NewText})
	}
	slices.SortStableFunc(ls, func(a, b located) int { return a.start - b.start })
	var evs []protocol.TextDocumentContentChangeEvent
	for i := len(ls) - 1; i >= 0; i-- {
		if i+1 < len(ls) && ls[i].end > ls[i+1].start {
			k.t.Fatalf("the server's edits of %s overlap: %v", e.name, edits)
		}
		evs = append(evs, e.d.apply(change{ls[i].start, ls[i].end, ls[i].text}))
	}
	k.send(e, evs...)
}
