package soak

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"
)

// What the soak checks between moves: the server's view of the texts and diagnostics against
// the client's, settling, and the latency probe.

// state is what kube-policy-ls.debug.state reports.
type state struct {
	Documents []struct {
		URI       uri.URI `json:"uri"`
		Version   int32   `json:"version"`
		Bytes     int     `json:"bytes"`
		SHA256    string  `json:"sha256"`
		OutOfSync bool    `json:"outOfSync"`
	} `json:"documents"`
	Goroutines       int    `json:"goroutines"`
	HeapAlloc        uint64 `json:"heapAllocBytes"`
	RSS              int64  `json:"rssBytes"`
	GoroutineProfile string `json:"goroutineProfile"`
}

func (k *soak) state(args string) state {
	var st state
	params := &protocol.ExecuteCommandParams{Command: "kube-policy-ls.debug.state"}
	if args != "" {
		params.Arguments = []protocol.LSPAny{protocol.LSPAny(args)}
	}
	if err := k.call(protocol.MethodWorkspaceExecuteCommand, params, &st); err != nil {
		k.t.Fatalf("debug state: %v", err)
	}
	return st
}

// checkTexts compares the server's view of every open document with the client's.
func (k *soak) checkTexts(when string) {
	k.n.syncChecks++
	st := k.state("")
	server := map[uri.URI]int{}
	for i, d := range st.Documents {
		server[d.URI] = i
	}
	open := 0
	for _, e := range k.all {
		if !e.open {
			continue
		}
		open++
		i, ok := server[e.u]
		if !ok {
			k.t.Fatalf("%s: %s is open in the client, not in the server", when, e.name)
		}
		d := st.Documents[i]
		sum := sha256.Sum256([]byte(e.d.text))
		if d.Version != e.d.version || d.SHA256 != hex.EncodeToString(sum[:]) || d.OutOfSync {
			k.t.Fatalf("%s: the server's %s is version %d, %d bytes (out of sync: %v); the client's version %d, %d bytes, a different text: %v",
				when, e.name, d.Version, d.Bytes, d.OutOfSync, e.d.version, len(e.d.text), d.SHA256 != hex.EncodeToString(sum[:]))
		}
	}
	if len(st.Documents) != open {
		k.t.Fatalf("%s: the server has %d documents open, the client %d", when, len(st.Documents), open)
	}
}

func (k *soak) reopenAll() {
	for _, e := range k.all {
		if !e.open {
			k.open(e)
			k.n.reopens++
		}
	}
}

// checkDiagnostics compares the server's diagnostics of every document with a fresh analysis
// of the client's text in this process, with the default settings (which the server has
// just been sent: it may take a moment to apply them).
func (k *soak) checkDiagnostics(when string) {
	engine, err := analysis.NewEngine(context.Background(), analysis.Config{})
	if err != nil {
		k.t.Fatal(err)
	}
	want := map[*entry][]string{}
	for _, e := range k.all {
		res, err := engine.Analyze(context.Background(), analysis.Input{Path: e.path, Text: e.d.text}, nil)
		if err != nil {
			k.t.Fatal(err)
		}
		for _, f := range res.Findings {
			s, en := res.Mapper.Pos(f.Range.Start, yamldoc.UTF16), res.Mapper.Pos(f.Range.End, yamldoc.UTF16)
			want[e] = append(want[e], fmt.Sprintf("%s %d:%d-%d:%d %s", f.Rule, s.Line, s.Col, en.Line, en.Col, f.Message))
		}
		sort.Strings(want[e])
	}
	deadline := time.Now().Add(hang)
	for {
		var diff string
		for _, e := range k.all {
			var got []string
			carried := 0
			for _, d := range k.pullNow(e).Items {
				// While a text does not parse, the server keeps its last valid version's
				// findings (marked so) beside the syntax error: they are not this text's.
				var data struct {
					LastValidVersion int32 `json:"lastValidVersion"`
				}
				if json.Unmarshal(d.Data, &data) == nil && data.LastValidVersion != 0 {
					carried++
					continue
				}
				code, _ := d.Code.(string)
				got = append(got, fmt.Sprintf("%s %d:%d-%d:%d %s", code, d.Range.Start.Line, d.Range.Start.Character, d.Range.End.Line, d.Range.End.Character, d.Message))
			}
			sort.Strings(got)
			if !slices.Equal(got, want[e]) {
				diff = fmt.Sprintf("%s: the server says\n  %s\nthe engine says\n  %s", e.name, strings.Join(got, "\n  "), strings.Join(want[e], "\n  "))
				break
			}
			if carried > 0 && !slices.ContainsFunc(want[e], func(w string) bool { return strings.HasPrefix(w, analysis.RuleYAMLSyntax+" ") }) {
				diff = fmt.Sprintf("%s: %d findings of the last valid version kept, but the text parses", e.name, carried)
				break
			}
		}
		if diff == "" {
			return
		}
		if time.Now().After(deadline) {
			k.t.Fatalf("diagnostics %s, %v after the default settings were sent: %s", when, hang, diff)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// settle puts every document back to its original text and the settings back to the
// start's, waits until the diagnostics are those of that (and so every analysis done), and
// returns the server's state after a garbage collection: the same content each time.
func (k *soak) settle(when string) state {
	k.wg.Wait()
	k.reopenAll()
	k.quiet = true
	defer func() { k.quiet = false }()
	k.configure(settingsCycle[0])
	for _, e := range k.all {
		if e.d.text != e.original {
			e.d.text, e.d.cursor = e.original, 0
			k.send(e, &protocol.TextDocumentContentChangeWholeDocument{Text: e.original})
		}
	}
	k.checkDiagnostics(when)
	return k.state(`{"freeMemory": true}`)
}

// idleState waits for the server to be idle (no more goroutines than atMost, if not 0) and
// returns its state; past the hang timeout it fails with the goroutines' stacks.
func (k *soak) idleState(atMost int) state {
	deadline := time.Now().Add(hang / 2)
	for {
		st := k.state("")
		if atMost == 0 || st.Goroutines <= atMost {
			return st
		}
		if time.Now().After(deadline) {
			st = k.state(`{"goroutineProfile": true}`)
			k.t.Fatalf("goroutine leak: %d goroutines at the end, %d at the start\n%s", st.Goroutines, atMost, st.GoroutineProfile)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// probe is what a budget probe measured.
type probe struct{ client, server []time.Duration }

func (k *soak) probeEntry() *entry { return k.all[0] }

// budgetProbe types into a typical manifest (its original text) one keystroke at a time, each
// followed by a pull answered before the next, as the latency harness does, and reports the
// client's time and the server's analysis time of each.
func (k *soak) budgetProbe() probe {
	k.wg.Wait()
	e := k.probeEntry()
	if !e.open {
		k.open(e)
	}
	k.quiet = true
	defer func() { k.quiet = false }()
	if e.d.text != e.original { // the same manifest each time, not what the typing left
		e.d.text, e.d.cursor = e.original, 0
		k.send(e, &protocol.TextDocumentContentChangeWholeDocument{Text: e.original})
	}
	k.pullNow(e)
	site := strings.Index(e.d.text, "image:")
	if site < 0 {
		site = len(e.d.text)
	} else {
		site += strings.IndexAny(e.d.text[site:], "\r\n")
	}
	from := k.s.LogSize()
	var p probe
	for i := range probeEdits {
		c := change{site, site, "x"}
		if i%2 == 1 {
			c = change{site, site + 1, ""}
		}
		t0 := time.Now()
		k.send(e, e.d.apply(c))
		k.pullNow(e)
		p.client = append(p.client, time.Since(t0))
	}
	for _, a := range k.s.Analyses(from) {
		if a.URI == string(e.u) {
			p.server = append(p.server, a.Took)
		}
	}
	return p
}
