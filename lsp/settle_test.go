package lsp

import (
	"slices"
	"strings"
	"testing"
	"time"

	"go.lsp.dev/uri"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
)

// settleText is a file of two documents; typing goes into the first, which has no findings.
const settleText = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  key: some value\n---\n" + podYAML

// unsettled reports whether the server's analysis of u still holds what the last keystroke kept
// for the next one.
func (s *session) unsettled(u uri.URI) bool {
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	d := s.srv.docs[u]
	return d.cache != nil && (d.cache.Settled() != d.cache || d.result != nil && d.result.Settled() != d.result)
}

// typeAfterValue types x after "some value" at the given version and returns the codes of its
// diagnostics, pulled: they wait for the analysis, and a push would not repeat diagnostics
// that did not change.
func (s *session) typeAfterValue(u uri.URI, version int32, typed int) []string {
	s.t.Helper()
	col := uint32(len("  key: some value") + typed)
	s.change(u, version, partial(4, col, 4, col, "x"))
	return codes(s.pull(u).Items)
}

// Settling releases the edited document's tree and verdicts, and the next keystroke after it is
// checked as a full analysis would check it.
func TestSettleReleasesWhatTypingKept(t *testing.T) {
	t.Parallel()
	s := newSession(t, sessionOptions{initOpts: map[string]any{"debounceMs": 0}})
	s.srv.settlePause = time.Hour // settled by hand below
	u := uri.File("/work/settle.yaml")
	s.open(u, "yaml", settleText)
	s.diagnosticsAt(u, 1)
	s.typeAfterValue(u, 2, 0)
	if !s.unsettled(u) {
		t.Fatal("after a keystroke the analysis holds nothing for the next one: the test cannot see settling")
	}
	s.srv.settle()
	if s.unsettled(u) {
		t.Error("settle left the edited document's tree or verdicts in the analysis")
	}
	got := s.typeAfterValue(u, 3, 1)
	var want []string
	for _, f := range analyzeDirect(t, analysis.Config{}, strings.Replace(settleText, "some value", "some valuexx", 1)).Findings {
		want = append(want, f.Rule)
	}
	slices.Sort(got)
	slices.Sort(want)
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Errorf("after settling, a keystroke gave %v, a full analysis %v", got, want)
	}
}

// The server settles by itself once typing pauses.
func TestSettleAfterAPause(t *testing.T) {
	t.Parallel()
	s := newSession(t, sessionOptions{initOpts: map[string]any{"debounceMs": 0}})
	s.srv.settlePause = 10 * time.Millisecond
	u := uri.File("/work/settle.yaml")
	s.open(u, "yaml", settleText)
	s.diagnosticsAt(u, 1)
	s.typeAfterValue(u, 2, 0)
	pollUntil(t, "the analysis settled after a pause in typing", func() bool { return !s.unsettled(u) })
}
