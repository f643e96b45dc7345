package lsp

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"go.lsp.dev/protocol"
	"go.uber.org/zap"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"
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

// withPolicyDirs returns c with its policy directories resolved against its BaseDir (relative
// ones without a base are dropped: see analysis.Config.PolicyDirs), so that configurations of
// different bases merge.
func withPolicyDirs(c analysis.Config) analysis.Config {
	c.Policies = c.PolicyDirs()
	return c
}

// validate checks that a configuration builds an engine: its policy paths are directories,
// and NewEngine accepts it (profile, versions, known rules, parameters).
func validate(ctx context.Context, c analysis.Config) (*analysis.Engine, error) {
	if err := c.CheckPolicyDirs(); err != nil {
		return nil, err
	}
	return analysis.NewEngine(ctx, withPolicyDirs(c))
}

// scope is what decides the engine of a document: the workspace folder that holds it and the
// configuration file that governs it. Relative paths of the editor's settings (policies,
// exclude) are taken from the folder, those of a configuration file from its directory.
type scope struct {
	root   string // the workspace folder, "" for a document outside every folder
	config string // the configuration file, "" for none
}

// configState is the configuration in force. Guarded by Server.mu.
type configState struct {
	editor      settings                   // the editor settings in force
	init        settings                   // the initializationOptions
	sawSettings bool                       // the client has sent settings of its own since
	settingSeq  uint64                     // the newest settings received, applied or not
	files       map[string]*configFile     // by path: the configuration files read
	slots       map[scope]*engineSlot      // current engines
	lastGood    map[scope]*analysis.Engine // the last engine built for each scope
	pushed      map[string]bool            // config files with diagnostics published while closed
	applyTimers map[string]*time.Timer     // open config files: the pending application of their text

	settingsError string // the last message shown about settings that do not apply
}

func newConfigState() configState {
	return configState{
		files:       map[string]*configFile{},
		slots:       map[scope]*engineSlot{},
		lastGood:    map[scope]*analysis.Engine{},
		pushed:      map[string]bool{},
		applyTimers: map[string]*time.Timer{},
	}
}

// configFile is what was last read of a configuration file.
type configFile struct {
	cfg     analysis.Config // the last valid content
	applied []byte          // cfg encoded, to tell whether a new text changes anything
	readAt  time.Time       // when it was last read
}

// engineSlot is the engine for the documents of one scope, built once per configuration.
type engineSlot struct {
	started    time.Time     // when the build started: files changed since may be unseen
	done       chan struct{} // closed when the fields below are set
	engine     *analysis.Engine
	exclude    []excludeRule
	policyDirs []string // the configured policy directories, whether or not they could be loaded
}

// built reports whether the slot's fields are set.
func (e *engineSlot) built() bool {
	select {
	case <-e.done:
		return true
	default:
		return false
	}
}

// excludeRule is one exclude pattern, relative to base.
type excludeRule struct{ base, pattern string }

func (e *engineSlot) excludes(path string) bool {
	if path == "" {
		return false
	}
	for _, r := range e.exclude {
		if !within(r.base, path) {
			continue
		}
		rel, err := filepath.Rel(r.base, path)
		if err != nil {
			continue
		}
		if matchExclude(r.pattern, filepath.ToSlash(rel)) {
			return true
		}
	}
	return false
}

// within reports whether path is dir or lies under it (lexically).
func within(dir, path string) bool {
	if dir == "" || path == "" {
		return false
	}
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// rootOf returns the innermost workspace folder that holds path, or "".
func rootOf(roots []string, path string) string {
	best := ""
	for _, r := range roots {
		if within(r, path) && len(r) > len(best) {
			best = r
		}
	}
	return best
}

// findConfig returns the nearest configuration file in dir or above it: up to the workspace
// folder root and no further, or, for a file outside every folder (root ""), up to the file
// system's root.
func findConfig(dir, root string) string {
	if root == "" {
		return analysis.FindConfigFile(dir)
	}
	for d := dir; within(root, d); d = filepath.Dir(d) {
		p := filepath.Join(d, analysis.ConfigFileName)
		if info, err := os.Stat(p); err == nil && info.Mode().IsRegular() {
			return p
		}
		if d == root || filepath.Dir(d) == d {
			break
		}
	}
	return ""
}

// scopeFor returns the scope of the file at path; a document that is not a file (path "")
// takes the first workspace folder's.
func (s *Server) scopeFor(path string) scope {
	s.mu.Lock()
	roots := s.roots
	s.mu.Unlock()
	if path == "" {
		if len(roots) == 0 {
			return scope{}
		}
		return scope{root: roots[0], config: findConfig(roots[0], roots[0])}
	}
	root := rootOf(roots, path)
	return scope{root: root, config: findConfig(filepath.Dir(path), root)}
}

// engineFor returns the engine for the documents of sc, building it if needed.
func (s *Server) engineFor(ctx context.Context, sc scope) (*analysis.Engine, error) {
	slot, err := s.engineSlotFor(ctx, sc)
	if err != nil {
		return nil, err
	}
	return slot.engine, nil
}

func (s *Server) engineSlotFor(ctx context.Context, sc scope) (*engineSlot, error) {
	s.mu.Lock()
	slot := s.config.slots[sc]
	if slot == nil {
		slot = s.startBuildLocked(sc)
	}
	s.mu.Unlock()
	select {
	case <-slot.done:
		return slot, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// startBuildLocked starts building the engine of sc with the configuration in force; it
// replaces the scope's slot at once. Called with s.mu held.
func (s *Server) startBuildLocked(sc scope) *engineSlot {
	slot := &engineSlot{started: time.Now(), done: make(chan struct{})}
	s.config.slots[sc] = slot
	editor, roots := s.config.editor, slices.Clone(s.roots)
	go func() {
		s.buildEngine(slot, sc, editor, roots)
		s.updateWatchers() // once the slot is built: its policy directories may be new
	}()
	return slot
}

// reloadLocked builds again, at once, the engines of the scopes that match (so that their
// policy diagnostics are current even with no document open), and analyses again the
// documents of those scopes. A slot still being built matches: it may have read what changed
// too early. Called with s.mu held.
func (s *Server) reloadLocked(match func(scope, *engineSlot) bool) {
	var scopes []scope
	for sc, slot := range s.config.slots {
		if match(sc, slot) {
			scopes = append(scopes, sc)
		}
	}
	for _, sc := range scopes {
		s.startBuildLocked(sc)
	}
	for _, d := range s.docs {
		if (d.kind == kindManifest || d.kind == kindHelm) && slices.Contains(scopes, d.scope) {
			d.changed()
			s.scheduleLocked(d, 0)
		}
	}
}

// dropLocked forgets the engines of the scopes that match, and returns them. Called with s.mu
// held.
func (s *Server) dropLocked(match func(scope) bool) []scope {
	var dropped []scope
	for sc := range s.config.slots {
		if match(sc) {
			dropped = append(dropped, sc)
			delete(s.config.slots, sc)
			delete(s.config.lastGood, sc)
		}
	}
	return dropped
}

// rescopeDocuments moves each open manifest to the scope it now belongs to (a configuration
// file was created or deleted, a workspace folder added or removed) and analyses again those
// that moved.
func (s *Server) rescopeDocuments() {
	s.mu.Lock()
	var docs []*document
	for _, d := range s.docs {
		if d.kind == kindManifest || d.kind == kindHelm {
			docs = append(docs, d)
		}
	}
	s.mu.Unlock()
	scopes := make([]scope, len(docs))
	for i, d := range docs {
		scopes[i] = s.scopeFor(d.path)
	}
	s.mu.Lock()
	for i, d := range docs {
		if !d.closed && d.scope != scopes[i] {
			d.scope = scopes[i]
			d.changed()
			s.scheduleLocked(d, 0)
		}
	}
	s.mu.Unlock()
}

// buildEngine builds the engine of one scope: its configuration file merged with the editor's
// settings. If that fails, the last engine built for the scope stays in force (or the file's
// alone, or the defaults), and the fault is reported where it lies.
func (s *Server) buildEngine(slot *engineSlot, sc scope, editor settings, roots []string) {
	defer close(slot.done)
	defer func() {
		if p := recover(); p != nil { // documents then get no diagnostics, not a crash
			s.log.Error("building the engine panicked", zap.String("config", sc.config), zap.Any("panic", p), zap.ByteString("stack", debug.Stack()))
		}
	}()
	var file analysis.Config
	fileValid := true
	if sc.config != "" {
		file, fileValid = s.loadConfigFile(sc.config)
		file.BaseDir = filepath.Dir(sc.config)
		for _, p := range file.Exclude {
			slot.exclude = append(slot.exclude, excludeRule{file.BaseDir, p})
		}
	}
	ed := editor.Config
	ed.BaseDir = sc.root
	if ed.BaseDir == "" && len(roots) > 0 {
		ed.BaseDir = roots[0]
	}
	excludeRoots := roots
	if sc.root != "" {
		excludeRoots = []string{sc.root}
	}
	for _, p := range ed.Exclude {
		for _, r := range excludeRoots {
			slot.exclude = append(slot.exclude, excludeRule{r, p})
		}
	}
	slot.policyDirs = append(file.PolicyDirs(), ed.PolicyDirs()...)

	fileErr, edErr := file.CheckPolicyDirs(), ed.CheckPolicyDirs()
	var e *analysis.Engine
	err := errors.Join(fileErr, edErr)
	if err == nil {
		e, err = analysis.NewEngine(s.ctx, mergeConfig(withPolicyDirs(file), withPolicyDirs(ed)))
	}
	if err == nil {
		s.installEngine(slot, sc, e)
		return
	}
	if s.ctx.Err() != nil {
		return
	}
	// Whose fault: the file's if it fails on its own, the settings' if they do, or theirs
	// together.
	var alone *analysis.Engine
	if fileErr == nil {
		alone, fileErr = analysis.NewEngine(s.ctx, withPolicyDirs(file))
	}
	if edErr == nil {
		_, edErr = analysis.NewEngine(s.ctx, withPolicyDirs(ed))
	}
	current := s.isCurrent(sc, slot)
	if current && fileErr != nil && fileValid && sc.config != "" {
		s.logToClient(protocol.MessageTypeError, fmt.Sprintf("configuration %s: %v (the last valid configuration stays in force)", sc.config, fileErr))
		if data, rerr := s.configText(sc.config); rerr == nil {
			s.pushConfigDiagnostics(sc.config, configErrorDiagnostics(yamldoc.NewMapper(string(data)), fileErr, s.encoding()))
		}
	}
	if current && (edErr != nil || fileErr == nil) {
		if edErr == nil {
			edErr = err
		}
		msg := fmt.Sprintf("kube-policy-ls: the editor settings do not apply: %v", edErr)
		s.mu.Lock()
		shown := s.config.settingsError == msg // by the engine of another scope
		s.config.settingsError = msg
		s.mu.Unlock()
		if !shown {
			s.logToClient(protocol.MessageTypeError, msg)
			s.showMessage(protocol.MessageTypeError, msg)
		}
	}
	s.mu.Lock()
	slot.engine = s.config.lastGood[sc]
	s.mu.Unlock()
	if slot.engine == nil && fileErr == nil {
		slot.engine = alone
	}
	if slot.engine == nil {
		slot.engine, _ = analysis.NewEngine(s.ctx, analysis.Config{})
	}
}

// isCurrent reports whether slot is still the engine slot of sc: a newer configuration may
// have replaced it while it was built.
func (s *Server) isCurrent(sc scope, slot *engineSlot) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.config.slots[sc] == slot
}

// installEngine puts a newly built engine in its slot, as the scope's last good one, and
// publishes its policy problems, unless a newer build has replaced the slot.
func (s *Server) installEngine(slot *engineSlot, sc scope, e *analysis.Engine) {
	slot.engine = e
	s.mu.Lock()
	if s.config.slots[sc] == slot {
		s.config.lastGood[sc] = e
	}
	s.mu.Unlock()
	s.setPolicyProblems(engineSource(sc), e.PolicyErrors(), e, func() bool { return s.isCurrent(sc, slot) })
}
