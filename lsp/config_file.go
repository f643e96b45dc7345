package lsp

import (
	"errors"
	"os"
	"path/filepath"
	"time"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/workspace"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"
)

// Configuration files (.kube-policy.yaml): reading them, reporting their problems as
// diagnostics on them, and reloading them when they change. A configuration file open in the
// editor is read from the editor's text: an edit applies once the text validates, shortly
// after the typing stops, without a save; closing the file unsaved goes back to the disk's.

// configApplyDelay is how long an open configuration file's text must stay valid and
// unchanged before it applies: the engines are rebuilt and every document analysed again, so
// not on every keystroke.
const configApplyDelay = 250 * time.Millisecond

// configText returns the text of a configuration file: the editor's when it is open and in
// step with the editor, else the file's on disk.
func (s *Server) configText(path string) ([]byte, error) {
	s.mu.Lock()
	if d := s.docByPathLocked(path); d != nil && !d.outOfSync {
		text := d.mapper.Text()
		s.mu.Unlock()
		return []byte(text), nil
	}
	s.mu.Unlock()
	return os.ReadFile(path)
}

// docByPathLocked returns the open document of a file, or nil. Called with s.mu held.
func (s *Server) docByPathLocked(path string) *document {
	if d := s.docs[uri.File(path)]; d != nil {
		return d
	}
	for _, d := range s.docs {
		if d.path == path {
			return d
		}
	}
	return nil
}

// pushConfigDiagnostics publishes the problems of a configuration file that is not open in
// the editor (an open one is analysed as a document).
func (s *Server) pushConfigDiagnostics(path string, diags []protocol.Diagnostic) {
	u := uri.File(path)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.docByPathLocked(path) != nil || (!s.cfgFiles.pushed[path] && len(diags) == 0) {
		return
	}
	s.cfgFiles.pushed[path] = len(diags) > 0
	if diags == nil {
		diags = []protocol.Diagnostic{}
	}
	body, err := protocol.Marshal(diags)
	if err != nil {
		s.log.Error("encoding diagnostics: " + err.Error())
		return
	}
	s.out.put(u, -1, body, time.Time{})
}

// configFileDiagnostics validates the text of an open configuration file: the problems that
// ParseConfig, the policy directories and NewEngine find (unknown rules included), at their
// keys. A text that validates is applied (configTextValid).
func (s *Server) configFileDiagnostics(path string, m *yamldoc.Mapper) []protocol.Diagnostic {
	enc := s.encoding()
	if path != "" {
		s.mu.Lock()
		if s.cfgFiles.pushed[path] { // published while the file was closed; the document's own take over
			s.cfgFiles.pushed[path] = false
			s.out.put(uri.File(path), -1, []byte("[]"), time.Time{})
		}
		s.mu.Unlock()
	}
	cfg, err := analysis.ParseConfig([]byte(m.Text()))
	if err == nil {
		cfg.BaseDir = filepath.Dir(path)
		err = workspace.Validate(s.ctx, cfg)
	}
	if s.ctx.Err() != nil {
		return []protocol.Diagnostic{}
	}
	if path != "" {
		s.configTextChecked(path, cfg, err == nil)
	}
	if err == nil {
		return []protocol.Diagnostic{}
	}
	return configErrorDiagnostics(m, err, enc)
}

// configTextChecked arranges that the text of an open configuration file applies
// configApplyDelay after it validated, unless it configures what the engines were built from
// already; a text
// that does not validate cancels the pending application, and the last valid configuration
// stays in force.
func (s *Server) configTextChecked(path string, cfg analysis.Config, valid bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.cfgFiles.applyTimers[path]; t != nil {
		t.Stop()
		delete(s.cfgFiles.applyTimers, path)
	}
	if !valid || s.state != running {
		return
	}
	if read, same := s.ws.Configures(path, cfg); !read || same {
		return // no engine reads the file (one that will reads this text), or no change
	}
	var t *time.Timer
	t = time.AfterFunc(configApplyDelay, func() {
		s.mu.Lock()
		current := s.cfgFiles.applyTimers[path] == t
		if current {
			delete(s.cfgFiles.applyTimers, path)
		}
		s.mu.Unlock()
		if current {
			s.goSafe("configuration file", func() { s.configFileChanged(path) })
		}
	})
	s.cfgFiles.applyTimers[path] = t
}

// configErrorDiagnostics places the errors of a configuration: analysis.ConfigErrors at their
// lines, anything else on the first line.
func configErrorDiagnostics(m *yamldoc.Mapper, err error, enc yamldoc.Encoding) []protocol.Diagnostic {
	var errs analysis.ConfigErrors
	if !errors.As(err, &errs) {
		errs = analysis.ConfigErrors{{Msg: err.Error()}}
	}
	out := make([]protocol.Diagnostic, 0, len(errs))
	for _, e := range errs {
		out = append(out, protocol.Diagnostic{
			Range:    placeAt(m, e.Line, e.Column, enc),
			Severity: protocol.DiagnosticSeverityError,
			Code:     protocol.String("config"),
			Source:   protocol.NewOptional(Name),
			Message:  protocol.String("configuration: " + e.Msg),
		})
	}
	return out
}

// configFileChanged reloads a configuration file that was saved, created, deleted, edited in
// the editor or closed there: the documents it governs (or now governs) are analysed again
// with the new engine.
func (s *Server) configFileChanged(path string) {
	if s.configUnchanged(path) {
		return // saved as it was, or reported twice (by the save and by the watcher)
	}
	_, statErr := os.Stat(path)
	exists := statErr == nil
	if !exists {
		s.pushConfigDiagnostics(path, nil)
	}
	// A created or deleted file changes which configuration governs which document.
	s.rescopeDocuments()
	s.mu.Lock()
	var dropped []scope
	if exists || s.docByPathLocked(path) != nil {
		s.reanalyseLocked(s.ws.Reload(func(sc scope) bool { return sc.Config == path }))
	} else {
		dropped = s.ws.ForgetConfig(path)
	}
	s.mu.Unlock()
	s.forgetPolicyProblems(dropped)
	s.refreshPulledDiagnostics()
	s.logToClient(protocol.MessageTypeInfo, "configuration file changed: "+path)
}

// documentSaved reloads what a saved configuration file or custom policy configures, for
// clients that do not watch files (the watcher reports the same save again, harmlessly).
func (s *Server) documentSaved(kind docKind, path string) {
	switch {
	case kind == kindConfig:
		s.goSafe("configuration file", func() { s.configFileChanged(path) })
	case isPolicyFile(path):
		s.policyFileChanged(path)
	}
}

// documentClosed forgets what an open document contributed: a configuration file's text,
// which the file on disk replaces, and the failures of custom rules on a manifest.
func (s *Server) documentClosed(d *document) {
	if d.kind == kindConfig {
		s.mu.Lock()
		if t := s.cfgFiles.applyTimers[d.path]; t != nil {
			t.Stop()
			delete(s.cfgFiles.applyTimers, d.path)
		}
		s.mu.Unlock()
		s.goSafe("configuration file", func() {
			if s.configDiffers(d.path) {
				s.configFileChanged(d.path)
			}
		})
	}
	s.goSafe("policy problems", func() { s.setPolicyProblems(documentSource(d.uri), nil, nil, nil) })
}

// configDiffers reports whether a configuration file's text (the editor's, or the disk's)
// configures something other than what its engines were built from; false when no engine
// read it.
func (s *Server) configDiffers(path string) bool {
	known, same := s.compareConfig(path)
	return known && !same
}

// configUnchanged reports whether a configuration file that engines read configures what they
// were built from, and has no problems published.
func (s *Server) configUnchanged(path string) bool {
	known, same := s.compareConfig(path)
	s.mu.Lock()
	defer s.mu.Unlock()
	return known && same && !s.cfgFiles.pushed[path]
}

// compareConfig reads a configuration file's text (the editor's, or the disk's) and compares
// what it configures with what the engines were built from: known is false when no engine
// read the file, same when the text is valid and configures the same.
func (s *Server) compareConfig(path string) (known, same bool) {
	if known, _ := s.ws.Configures(path, analysis.Config{}); !known {
		return false, false
	}
	data, err := s.configText(path)
	if err != nil {
		return true, false
	}
	cfg, err := analysis.ParseConfig(data)
	if err != nil {
		return true, false
	}
	return s.ws.Configures(path, cfg)
}
