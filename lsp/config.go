package lsp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"
	"go.uber.org/zap"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
)

// Configuration comes from two places, merged key by key: the .kube-policy.yaml nearest above
// each file (analysis.FindConfigFile), and the editor's `kubePolicy` settings
// (initializationOptions, then workspace/configuration or workspace/didChangeConfiguration),
// which win, since editors send only what the user set. Every change applies at once: the
// engines are rebuilt and the open documents analysed again. A configuration that does not
// validate is reported (on the config file, or to the user for settings) and the last good
// one stays in force.

// configSection is the server's settings section.
const configSection = "kubePolicy"

// settings are the editor's kubePolicy settings: the keys of .kube-policy.yaml and the
// server's own.
type settings struct {
	analysis.Config
	DebounceMs *int `json:"debounceMs,omitempty"` // delay between an edit and its analysis
	// DiagnosticSeverity maps finding severities (critical, high, medium, low, info) to LSP
	// ones (error, warning, information, hint).
	DiagnosticSeverity map[string]string `json:"diagnosticSeverity,omitempty"`

	sev severityMap
}

func (s settings) severities() severityMap { return s.sev }

// parseSettings reads settings sent by an editor: the keys themselves, or an object with the
// keys under "kubePolicy". Unknown keys are ignored (editors send their own).
func parseSettings(raw []byte) (settings, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return settings{}, nil
	}
	var wrapped map[string]json.RawMessage
	if err := json.Unmarshal(raw, &wrapped); err != nil {
		return settings{}, fmt.Errorf("settings are not a JSON object: %w", err)
	}
	if inner, ok := wrapped[configSection]; ok {
		return parseSettings(inner)
	}
	var set settings
	if err := json.Unmarshal(raw, &set); err != nil {
		return settings{}, fmt.Errorf("settings: %w", err)
	}
	for id, rc := range set.Rules {
		rc.Params = integral(rc.Params).(map[string]any)
		set.Rules[id] = rc
	}
	if err := set.Validate(); err != nil {
		return settings{}, err
	}
	if set.DebounceMs != nil && *set.DebounceMs < 0 {
		return settings{}, fmt.Errorf("debounceMs: %d is negative", *set.DebounceMs)
	}
	set.sev = severityMap{}
	for name, lspName := range set.DiagnosticSeverity {
		from, err := analysis.ParseSeverity(name)
		if err != nil {
			return settings{}, fmt.Errorf("diagnosticSeverity: %w", err)
		}
		to, ok := lspSeverities[strings.ToLower(lspName)]
		if !ok {
			return settings{}, fmt.Errorf("diagnosticSeverity.%s: %q is not error, warning, information or hint", name, lspName)
		}
		set.sev[from] = to
	}
	return set, nil
}

// integral turns whole JSON numbers into ints, as YAML gives them, so that rule parameters
// from settings and from .kube-policy.yaml look the same to the engine.
func integral(v any) any {
	switch x := v.(type) {
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int(x)
		}
	case map[string]any:
		if x == nil {
			return x
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = integral(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = integral(e)
		}
		return out
	}
	return v
}

// mergeConfig applies the editor's settings over a configuration file's, key by key.
func mergeConfig(file, editor analysis.Config) analysis.Config {
	m := file // a copy that keeps the file's YAML, so errors point at its keys
	if editor.Profile != "" {
		m.Profile = editor.Profile
	}
	if editor.KubernetesVersion != "" {
		m.KubernetesVersion = editor.KubernetesVersion
	}
	if len(editor.Rules) > 0 {
		rules := maps.Clone(file.Rules)
		if rules == nil {
			rules = map[string]analysis.RuleConfig{}
		}
		for id, r := range editor.Rules {
			base := rules[id]
			if r.Enabled != nil {
				base.Enabled = r.Enabled
			}
			if r.Severity != "" {
				base.Severity = r.Severity
			}
			if len(r.Params) > 0 {
				params := maps.Clone(base.Params)
				if params == nil {
					params = map[string]any{}
				}
				maps.Copy(params, r.Params)
				base.Params = params
			}
			rules[id] = base
		}
		m.Rules = rules
	}
	res, er := &m.Defaults.Resources, editor.Defaults.Resources
	for _, f := range []struct {
		dst *string
		src string
	}{
		{&res.CPURequest, er.CPURequest}, {&res.CPULimit, er.CPULimit},
		{&res.MemoryRequest, er.MemoryRequest}, {&res.MemoryLimit, er.MemoryLimit},
	} {
		if f.src != "" {
			*f.dst = f.src
		}
	}
	m.Policies = append(slices.Clone(file.Policies), editor.Policies...)
	m.PodSpecPaths = append(slices.Clone(file.PodSpecPaths), editor.PodSpecPaths...)
	m.Exclude = append(slices.Clone(file.Exclude), editor.Exclude...)
	return m
}

// absPaths resolves relative policy paths against dir.
func absPaths(paths []string, dir string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		if !filepath.IsAbs(p) && dir != "" {
			p = filepath.Join(dir, p)
		}
		out[i] = p
	}
	return out
}

// configState is the configuration in force. Guarded by Server.mu.
type configState struct {
	editor     settings                    // the last valid editor settings
	settingSeq uint64                      // the newest settings received, applied or not
	files      map[string]*configFile      // by path: the configuration files read
	slots      map[string]*engineSlot      // by config file path ("" for none): current engines
	lastGood   map[string]*analysis.Engine // by config file path: the last engine built
	pushed     map[string]bool             // config files with diagnostics published while closed
}

func newConfigState() configState {
	return configState{
		files:    map[string]*configFile{},
		slots:    map[string]*engineSlot{},
		lastGood: map[string]*analysis.Engine{},
		pushed:   map[string]bool{},
	}
}

// configFile is what was last read of a configuration file.
type configFile struct {
	cfg analysis.Config // the last valid content
	err error           // why the current content is not valid; nil when it is
}

// engineSlot is the engine for the documents one configuration file governs, built once per
// configuration.
type engineSlot struct {
	done    chan struct{} // closed when the fields below are set
	engine  *analysis.Engine
	exclude []excludeRule
}

// excludeRule is one exclude pattern, relative to base.
type excludeRule struct{ base, pattern string }

func (e *engineSlot) excludes(path string) bool {
	if path == "" {
		return false
	}
	for _, r := range e.exclude {
		rel, err := filepath.Rel(r.base, path)
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			continue
		}
		if matchExclude(r.pattern, filepath.ToSlash(rel)) {
			return true
		}
	}
	return false
}

// configPathFor returns the configuration file that governs the files of dir; documents that
// are not files (dir "" or ".") take the first workspace folder's.
func (s *Server) configPathFor(dir string) string {
	if dir == "" || dir == "." {
		s.mu.Lock()
		roots := s.roots
		s.mu.Unlock()
		if len(roots) == 0 {
			return ""
		}
		dir = roots[0]
	}
	return analysis.FindConfigFile(dir)
}

// engineFor returns the engine for the files governed by configPath, building it if needed.
func (s *Server) engineFor(ctx context.Context, configPath string) (*analysis.Engine, error) {
	slot, err := s.engineSlotFor(ctx, configPath)
	if err != nil {
		return nil, err
	}
	return slot.engine, nil
}

func (s *Server) engineSlotFor(ctx context.Context, configPath string) (*engineSlot, error) {
	s.mu.Lock()
	slot := s.config.slots[configPath]
	if slot == nil {
		slot = &engineSlot{done: make(chan struct{})}
		s.config.slots[configPath] = slot
		go s.buildEngine(slot, configPath, s.config.editor, s.roots)
	}
	s.mu.Unlock()
	select {
	case <-slot.done:
		return slot, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// buildEngine builds the engine of one configuration file merged with the editor's settings.
// If that fails, the last engine built for the file stays in force (or the defaults).
func (s *Server) buildEngine(slot *engineSlot, configPath string, editor settings, roots []string) {
	defer close(slot.done)
	defer func() {
		if p := recover(); p != nil { // documents then get no diagnostics, not a crash
			s.log.Error("building the engine panicked", zap.String("config", configPath), zap.Any("panic", p), zap.ByteString("stack", debug.Stack()))
		}
	}()
	root := ""
	if len(roots) > 0 {
		root = roots[0]
	}
	var file analysis.Config
	if configPath != "" {
		file = s.loadConfigFile(configPath)
		file.Policies = absPaths(file.Policies, filepath.Dir(configPath))
		for _, p := range file.Exclude {
			slot.exclude = append(slot.exclude, excludeRule{filepath.Dir(configPath), p})
		}
	}
	ed := editor.Config
	ed.Policies = absPaths(ed.Policies, root)
	for _, p := range ed.Exclude {
		for _, r := range roots {
			slot.exclude = append(slot.exclude, excludeRule{r, p})
		}
	}
	e, err := analysis.NewEngine(s.ctx, mergeConfig(file, ed))
	if err == nil {
		slot.engine = e
		s.mu.Lock()
		s.config.lastGood[configPath] = e
		s.mu.Unlock()
		return
	}
	if s.ctx.Err() != nil {
		return
	}
	// Whose fault: the file's if it fails on its own, the settings' if they do, or theirs
	// together.
	alone, fileErr := analysis.NewEngine(s.ctx, file)
	if fileErr != nil && configPath != "" {
		s.logToClient(protocol.MessageTypeError, fmt.Sprintf("configuration %s: %v (the last valid configuration stays in force)", configPath, fileErr))
		if data, rerr := os.ReadFile(configPath); rerr == nil {
			s.pushConfigDiagnostics(configPath, configErrorDiagnostics(analysis.NewMapper(string(data)), fileErr, s.encoding()))
		}
	}
	if _, edErr := analysis.NewEngine(s.ctx, ed); edErr != nil || fileErr == nil {
		if edErr == nil {
			edErr = err
		}
		msg := fmt.Sprintf("kube-policy-ls: the editor settings do not apply: %v", edErr)
		s.logToClient(protocol.MessageTypeError, msg)
		s.showMessage(protocol.MessageTypeError, msg)
	}
	s.mu.Lock()
	slot.engine = s.config.lastGood[configPath]
	s.mu.Unlock()
	if slot.engine == nil && fileErr == nil {
		slot.engine = alone
	}
	if slot.engine == nil {
		slot.engine, _ = analysis.NewEngine(s.ctx, analysis.Config{})
	}
}

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

// applySettings puts new editor settings in force, after checking that they build an engine
// (unknown rules, bad parameters); invalid ones are reported and the last good ones stay.
func (s *Server) applySettings(raw []byte, origin string) {
	s.mu.Lock()
	s.config.settingSeq++
	seq := s.config.settingSeq
	s.mu.Unlock()
	set, err := parseSettings(raw)
	if err == nil {
		_, err = analysis.NewEngine(s.ctx, set.Config)
	}
	if err != nil {
		if s.ctx.Err() == nil {
			msg := fmt.Sprintf("kube-policy-ls: %s settings ignored: %v", origin, err)
			s.logToClient(protocol.MessageTypeWarning, msg)
			s.showMessage(protocol.MessageTypeWarning, msg)
		}
		return
	}
	s.mu.Lock()
	if seq != s.config.settingSeq || reflect.DeepEqual(set, s.config.editor) {
		s.mu.Unlock()
		return
	}
	s.config.editor = set
	s.config.slots = map[string]*engineSlot{}
	s.mu.Unlock()
	s.log.Info("settings applied", zap.String("from", origin))
	s.reanalyzeAll()
}

// fetchConfiguration asks the client for the kubePolicy section and applies it.
func (s *Server) fetchConfiguration() {
	ctx, cancel := context.WithTimeout(s.ctx, clientCallTimeout)
	defer cancel()
	section := configSection
	res, err := s.client.Configuration(ctx, &protocol.ConfigurationParams{Items: []protocol.ConfigurationItem{{Section: &section}}})
	if err != nil {
		s.log.Warn("workspace/configuration failed", zap.Error(err))
		return
	}
	if len(res) == 0 {
		return
	}
	s.applySettings(res[0], "workspace/configuration")
}

func (s *Server) didChangeConfiguration(p *protocol.DidChangeConfigurationParams) {
	s.mu.Lock()
	pullConfig := s.caps.Workspace != nil && isTrue(s.caps.Workspace.Configuration)
	s.mu.Unlock()
	if pullConfig {
		// The notification may carry every key with its default value (VS Code does);
		// workspace/configuration answers with what the user set.
		s.goSafe("workspace/configuration", s.fetchConfiguration)
		return
	}
	raw := slices.Clone(p.Settings)
	s.goSafe("settings", func() { s.applySettings(raw, "workspace/didChangeConfiguration") })
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
