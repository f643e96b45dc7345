package lsp

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"
	"go.uber.org/zap"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/workspace"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"
)

// Custom policies' problems are diagnostics on their .rego files, open or not: files that do
// not load or compile (analysis.Engine.PolicyErrors, one source per engine) and rules that
// fail or time out on an open document (analysis.Result.PolicyErrors, one source per
// document). A file's diagnostics are the union of every source's, published when it changes
// and cleared when it empties. Only .rego files inside a workspace folder or a configured
// policy directory are published; other problems (an unreadable directory) go to the log.

// policyErrorCode is the code of the diagnostics on custom policy files.
const policyErrorCode = "policy-error"

// maxPolicyDiagnostics bounds the diagnostics of one policy file: a rule that fails on every
// object of a large file is one problem, not thousands.
const maxPolicyDiagnostics = 100

// policyProblems are the problems of the custom policy files. Guarded by its own mutex, which
// is taken before Server.mu, never after.
type policyProblems struct {
	mu        sync.Mutex
	bySource  map[string]sourceProblems
	published map[string][]byte // by file: the diagnostics last published
}

// sourceProblems are the problems one source found: all of them, and those on files that may
// be published.
type sourceProblems struct {
	all, published []analysis.PolicyError
}

func newPolicyProblems() *policyProblems {
	return &policyProblems{bySource: map[string]sourceProblems{}, published: map[string][]byte{}}
}

// engineSource and documentSource name the sources of policy problems.
func engineSource(sc scope) string      { return "engine\x00" + sc.Folder + "\x00" + sc.Config }
func documentSource(u uri.URI) string   { return "document\x00" + string(u) }
func isEngineSource(source string) bool { return strings.HasPrefix(source, "engine\x00") }

// setPolicyProblems replaces the problems of one source and publishes the files whose
// diagnostics change. e is the engine that found them, whose policy directories may be
// published besides the workspace folders (nil: the folders only). current, if not nil, is
// asked under the problems' lock whether the source's news is still current; when it is not,
// nothing changes.
func (s *Server) setPolicyProblems(source string, errs []analysis.PolicyError, e *analysis.Engine, current func() bool) {
	p := s.policy
	if len(errs) == 0 { // the common case, after every analysis: nothing before, nothing now
		p.mu.Lock()
		_, had := p.bySource[source]
		p.mu.Unlock()
		if !had {
			return
		}
	}
	allowed := s.ws.Folders()
	enc := s.encoding()
	if e != nil {
		allowed = append(allowed, e.Config().PolicyDirs()...)
	}
	all := slices.Clone(errs)
	sortPolicyErrors(all)
	all = slices.Compact(all)

	p.mu.Lock()
	if current != nil && !current() {
		p.mu.Unlock()
		return
	}
	old := p.bySource[source]
	if slices.Equal(old.all, all) {
		p.mu.Unlock()
		return
	}
	next := sourceProblems{all: all}
	var news []string
	for _, pe := range all {
		if publishablePolicyFile(pe.File, allowed) {
			next.published = append(next.published, pe)
		}
		if !slices.Contains(old.all, pe) {
			news = append(news, pe.Error())
		}
	}
	if len(all) == 0 {
		delete(p.bySource, source)
	} else {
		p.bySource[source] = next
	}
	files := map[string]bool{}
	for _, pe := range old.published {
		files[pe.File] = true
	}
	for _, pe := range next.published {
		files[pe.File] = true
	}
	for _, file := range slices.Sorted(maps.Keys(files)) {
		s.publishPolicyFileLocked(file, enc)
	}
	p.mu.Unlock()

	switch {
	case len(news) == 0:
	case isEngineSource(source):
		s.logToClient(protocol.MessageTypeError, "custom policies: "+summarize(news, 20))
	default:
		s.logToClient(protocol.MessageTypeWarning, "custom policies failed during analysis: "+summarize(news, 10))
	}
}

// publishPolicyFileLocked publishes the diagnostics of one policy file from every source, if
// they changed. Called with s.policy.mu held.
func (s *Server) publishPolicyFileLocked(file string, enc yamldoc.Encoding) {
	p := s.policy
	var errs []analysis.PolicyError
	for _, src := range p.bySource {
		for _, pe := range src.published {
			if pe.File == file {
				errs = append(errs, pe)
			}
		}
	}
	diags := policyDiagnostics(errs, readPolicyText(file), enc)
	body, err := protocol.Marshal(diags)
	if err != nil {
		s.log.Error("encoding diagnostics", zap.String("file", file), zap.Error(err))
		return
	}
	last, had := p.published[file]
	if (!had && len(diags) == 0) || bytes.Equal(last, body) {
		return
	}
	if len(diags) == 0 {
		delete(p.published, file)
	} else {
		p.published[file] = body
	}
	s.out.put(uri.File(file), -1, body, time.Time{})
}

// policyDiagnostics turns one file's problems into diagnostics: one per position, the first
// message with a count of the others (a rule failing on many objects), sorted by position.
func policyDiagnostics(errs []analysis.PolicyError, text string, enc yamldoc.Encoding) []protocol.Diagnostic {
	sortPolicyErrors(errs)
	m := yamldoc.NewMapper(text)
	out := []protocol.Diagnostic{}
	for i := 0; i < len(errs) && len(out) < maxPolicyDiagnostics; {
		j := i + 1
		for j < len(errs) && errs[j].Line == errs[i].Line && errs[j].Column == errs[i].Column {
			j++
		}
		msgs := map[string]bool{}
		for _, pe := range errs[i:j] {
			msgs[pe.Msg] = true
		}
		msg := errs[i].Msg
		if n := len(msgs) - 1; n > 0 {
			msg += fmt.Sprintf(" (and %d more like it)", n)
		}
		out = append(out, protocol.Diagnostic{
			Range:    placeAt(m, errs[i].Line, errs[i].Column, enc),
			Severity: protocol.DiagnosticSeverityError,
			Code:     protocol.String(policyErrorCode),
			Source:   protocol.NewOptional(Name),
			Message:  protocol.String(msg),
		})
		i = j
	}
	return out
}

// placeAt is the range of a problem at a 1-based line and column (code points; 0: the line's
// first non-blank character), to the end of its line, clamped to the text.
func placeAt(m *yamldoc.Mapper, line, column int, enc yamldoc.Encoding) protocol.Range {
	l := min(max(line-1, 0), m.LineCount()-1)
	start := m.LineStart(l)
	if column > 0 {
		if off, err := m.Offset(yamldoc.Pos{Line: l, Col: column - 1}, yamldoc.CodePoints); err == nil {
			start = off
		}
	} else {
		content := m.Line(l)
		start += len(content) - len(strings.TrimLeft(content, " \t"))
	}
	return toRange(m, yamldoc.Range{Start: start, End: max(start, m.LineEnd(l))}, enc)
}

// readPolicyText reads a policy file to place its problems, as much of it as the engine
// reads ("" when it cannot: the problems then sit at the start of their lines, as the client
// clamps them).
func readPolicyText(file string) string {
	f, err := os.Open(file)
	if err != nil {
		return ""
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxPolicyTextSize))
	if err != nil {
		return ""
	}
	return string(b)
}

// maxPolicyTextSize is the size of the engine's largest policy file.
const maxPolicyTextSize = 1 << 20

// publishablePolicyFile reports whether diagnostics may be published on file: a .rego file
// inside one of the allowed directories (the workspace folders and the configured policy
// directories).
func publishablePolicyFile(file string, allowed []string) bool {
	if !filepath.IsAbs(file) || filepath.Ext(file) != ".rego" {
		return false
	}
	file = filepath.Clean(file)
	for _, dir := range allowed {
		if workspace.Within(dir, file) {
			return true
		}
	}
	return false
}

func sortPolicyErrors(errs []analysis.PolicyError) {
	slices.SortFunc(errs, func(a, b analysis.PolicyError) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column), cmp.Compare(a.Msg, b.Msg))
	})
}

// summarize joins the first n lines and counts the others.
func summarize(lines []string, n int) string {
	if len(lines) <= n {
		return strings.Join(lines, "\n")
	}
	return strings.Join(lines[:n], "\n") + fmt.Sprintf("\n(and %d more)", len(lines)-n)
}
