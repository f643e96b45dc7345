package lsp

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"

	"go.lsp.dev/protocol"
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
