package lsp

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"
	"go.uber.org/zap"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
)

// Configuration files (.kube-policy.yaml): reading them, reporting their problems as
// diagnostics on them, and reloading them when they change.

// loadConfigFile reads a configuration file and returns its last valid content, reporting a
// problem with the current one as diagnostics on the file.
func (s *Server) loadConfigFile(path string) analysis.Config {
	data, err := os.ReadFile(path)
	var cfg analysis.Config
	if err == nil {
		cfg, err = analysis.ParseConfig(data)
	}
	s.mu.Lock()
	f := s.config.files[path]
	if f == nil {
		f = &configFile{}
		s.config.files[path] = f
	}
	if err == nil {
		f.cfg = cfg
	}
	f.err = err
	last := f.cfg
	enc := s.enc
	s.mu.Unlock()
	var diags []protocol.Diagnostic
	if err != nil {
		s.logToClient(protocol.MessageTypeError, fmt.Sprintf("configuration %s: %v (the last valid configuration stays in force)", path, err))
		diags = configErrorDiagnostics(analysis.NewMapper(string(data)), err, enc)
	}
	s.pushConfigDiagnostics(path, diags)
	return last
}

// pushConfigDiagnostics publishes the problems of a configuration file that is not open in
// the editor (an open one is analysed as a document).
func (s *Server) pushConfigDiagnostics(path string, diags []protocol.Diagnostic) {
	u := uri.File(path)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, open := s.docs[u]; open || (!s.config.pushed[path] && len(diags) == 0) {
		return
	}
	s.config.pushed[path] = len(diags) > 0
	if diags == nil {
		diags = []protocol.Diagnostic{}
	}
	body, err := protocol.Marshal(diags)
	if err != nil {
		s.log.Error("encoding diagnostics", zap.Error(err))
		return
	}
	s.out.put(u, -1, body, time.Time{})
}

// configFileDiagnostics validates the text of an open configuration file: the problems that
// ParseConfig and NewEngine find (unknown rules included), at their keys.
func (s *Server) configFileDiagnostics(path string, m *analysis.Mapper) []protocol.Diagnostic {
	enc := s.encoding()
	if path != "" {
		s.mu.Lock()
		if s.config.pushed[path] { // published while the file was closed; the document's own take over
			s.config.pushed[path] = false
			s.out.put(uri.File(path), -1, []byte("[]"), time.Time{})
		}
		s.mu.Unlock()
	}
	cfg, err := analysis.ParseConfig([]byte(m.Text()))
	if err == nil {
		_, err = analysis.NewEngine(s.ctx, cfg)
	}
	if err == nil || s.ctx.Err() != nil {
		return []protocol.Diagnostic{}
	}
	return configErrorDiagnostics(m, err, enc)
}

// configErrorDiagnostics places the errors of a configuration: analysis.ConfigErrors at their
// lines, anything else on the first line.
func configErrorDiagnostics(m *analysis.Mapper, err error, enc analysis.Encoding) []protocol.Diagnostic {
	var errs analysis.ConfigErrors
	if !errors.As(err, &errs) {
		errs = analysis.ConfigErrors{{Msg: err.Error()}}
	}
	out := make([]protocol.Diagnostic, 0, len(errs))
	for _, e := range errs {
		line := max(e.Line-1, 0)
		if line >= m.LineCount() {
			line = m.LineCount() - 1
		}
		start := m.LineStart(line)
		if e.Column > 0 {
			if off, err := m.Offset(analysis.Pos{Line: line, Col: e.Column - 1}, analysis.CodePoints); err == nil {
				start = off
			}
		} else {
			content := m.Line(line)
			start += len(content) - len(strings.TrimLeft(content, " \t"))
		}
		out = append(out, protocol.Diagnostic{
			Range:    toRange(m, analysis.Range{Start: start, End: max(start, m.LineEnd(line))}, enc),
			Severity: protocol.DiagnosticSeverityError,
			Code:     protocol.String("config"),
			Source:   protocol.NewOptional(Name),
			Message:  protocol.String("configuration: " + e.Msg),
		})
	}
	return out
}

func (s *Server) didChangeWatchedFiles(p *protocol.DidChangeWatchedFilesParams) {
	for _, c := range p.Changes {
		if path := uriPath(c.URI); isConfigFile(path) {
			s.goSafe("configuration file", func() { s.configFileChanged(path) })
		}
	}
}

// configFileChanged reloads a configuration file that was saved, created or deleted: the
// documents it governs (or now governs) are analysed again with the new engine.
func (s *Server) configFileChanged(path string) {
	s.mu.Lock()
	delete(s.config.slots, path)
	var docs []*document
	for _, d := range s.docs {
		if d.kind == kindManifest || d.kind == kindHelm {
			docs = append(docs, d)
		}
	}
	s.mu.Unlock()
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		s.pushConfigDiagnostics(path, nil)
	}
	// A created or deleted file changes which configuration governs which document.
	paths := make([]string, len(docs))
	for i, d := range docs {
		paths[i] = s.configPathFor(filepath.Dir(d.path))
	}
	s.mu.Lock()
	for i, d := range docs {
		if d.closed || (d.configPath != path && paths[i] == d.configPath) {
			continue
		}
		d.configPath = paths[i]
		d.changed()
		s.scheduleLocked(d, 0)
	}
	s.mu.Unlock()
	s.log.Info("configuration file changed", zap.String("path", path))
}
