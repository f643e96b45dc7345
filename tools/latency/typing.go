package main

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/kube-policy-ls/kube-policy-ls/internal/lsptest"
)

// The chart and overlay scenarios type the same way: a fresh server opens one file and, once
// it has answered, gets *editsFlag keystrokes at one site, a character typed then removed, each
// answered before the next is sent. What differs is what counts as the server's answer (the
// typed file's diagnostics, or every overlay that reads it merged) and where the server's own
// times come from.

// siteTyping is one file typed into at one site, in a fresh server.
type siteTyping struct {
	folder   string                // the server's workspace folder; "": none
	path     string                // the file typed into (absolute)
	language protocol.LanguageKind // its languageId
	site     *regexp.Regexp        // typed at the end of the first line matching it
	// answers follows the server s's answers to the versions of the typed file u.
	answers func(s *lsptest.Session, u uri.URI) answers
}

// answers is how a scenario knows that the server has answered a version of the typed file.
type answers interface {
	// wait returns once the server has answered version.
	wait(version int32) error
	// serverTimes are the server's own times for the keystrokes (the versions after the
	// first), asked once all of them are answered.
	serverTimes() []time.Duration
}

// run opens the file, times its first answer, then types: the client's time of each
// keystroke is from its didChange sent to its answer; the server's CPU time is over the
// keystrokes only.
func (c siteTyping) run() (*result, error) {
	data, err := os.ReadFile(c.path)
	if err != nil {
		return nil, err
	}
	at, err := typingSite(string(data), c.site)
	if err != nil {
		return nil, err
	}
	s, err := start(c.folder)
	if err != nil {
		return nil, err
	}
	defer func() { _ = s.Stop() }()
	u := uri.File(c.path)
	answered := c.answers(s, u)
	res := &result{}
	t0 := time.Now()
	if err := s.Server.DidOpen(s.Ctx, &protocol.DidOpenTextDocumentParams{TextDocument: protocol.TextDocumentItem{URI: u, LanguageID: c.language, Version: 1, Text: string(data)}}); err != nil {
		return nil, err
	}
	if err := answered.wait(1); err != nil {
		return nil, err
	}
	res.first = time.Since(t0)
	cpu0 := lsptest.CPUTime(s.Pid())
	for i := range *editsFlag {
		version := int32(i + 2)
		t := time.Now()
		if err := keystroke(s, u, version, at, i%2 == 1); err != nil {
			return nil, err
		}
		if err := answered.wait(version); err != nil {
			return nil, err
		}
		res.times = append(res.times, time.Since(t))
	}
	res.cpu = lsptest.CPUTime(s.Pid()) - cpu0
	res.server = answered.serverTimes()
	return res, nil
}

// typingSite is where to type in text: the end of the first line matching re.
func typingSite(text string, re *regexp.Regexp) (protocol.Position, error) {
	for i, l := range strings.Split(text, "\n") {
		if re.MatchString(l) {
			return protocol.Position{Line: uint32(i), Character: utf16Len(strings.TrimRight(l, " \r"))}, nil
		}
	}
	return protocol.Position{}, fmt.Errorf("no line matches %s", re)
}

// keystroke sends version of u: the character x typed at site or, with remove, the one typed
// there before removed.
func keystroke(s *lsptest.Session, u uri.URI, version int32, site protocol.Position, remove bool) error {
	change := &protocol.TextDocumentContentChangePartial{Text: "x", Range: protocol.Range{Start: site, End: site}}
	if remove {
		change.Text = ""
		change.Range.End.Character++
	}
	return s.Server.DidChange(s.Ctx, &protocol.DidChangeTextDocumentParams{
		TextDocument:   protocol.VersionedTextDocumentIdentifier{TextDocumentIdentifier: protocol.TextDocumentIdentifier{URI: u}, Version: version},
		ContentChanges: []protocol.TextDocumentContentChangeEvent{change},
	})
}

// published is the answer of a file that gets the diagnostics of each of its versions: their
// publication; the server's times are from its debug log.
type published struct {
	s *lsptest.Session
	u uri.URI
}

func (p published) wait(version int32) error {
	_, err := p.s.WaitVersion(p.u, version)
	return err
}

func (p published) serverTimes() []time.Duration { return p.s.ServerTimes(p.u, false) }
