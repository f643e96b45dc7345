package workspace

import (
	"errors"
	"fmt"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
)

// slot is the engine of one scope, built once per configuration.
type slot struct {
	started    time.Time     // when the build started: files changed since may be unseen
	done       chan struct{} // closed when the fields below are set
	engine     *analysis.Engine
	err        error // why the configuration asked for is not the one in force
	exclude    []excludeRule
	policyDirs []string // the configured policy directories, whether or not they could be loaded
}

// built reports whether the slot's fields are set.
func (s *slot) built() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// startBuildLocked starts building the engine of sc with the configuration in force; it
// replaces the scope's slot at once. Called with w.mu held.
func (w *Workspace) startBuildLocked(sc Scope) *slot {
	s := &slot{started: time.Now(), done: make(chan struct{})}
	w.slots[sc] = s
	overlay, folders := w.overlay, w.folders
	go w.build(s, sc, overlay, folders)
	return s
}

// Reload builds again, at once, the engines of the scopes that match and returns those
// scopes. A scope still being built matches whatever its configuration: it may have read
// what changed too early.
func (w *Workspace) Reload(match func(Scope) bool) []Scope {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.reloadLocked(func(sc Scope, _ *slot) bool { return match(sc) })
}

// ReloadPolicies builds again the engines whose policy directories hold one of the changed
// files, and those still being built, and returns their scopes.
func (w *Workspace) ReloadPolicies(changed []string) []Scope {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.reloadLocked(func(_ Scope, s *slot) bool {
		if !s.built() {
			return true
		}
		for _, f := range changed {
			for _, dir := range s.policyDirs {
				if Within(dir, f) {
					return true
				}
			}
		}
		return false
	})
}

func (w *Workspace) reloadLocked(match func(Scope, *slot) bool) []Scope {
	var scopes []Scope
	for sc, s := range w.slots {
		if match(sc, s) {
			scopes = append(scopes, sc)
		}
	}
	for _, sc := range scopes {
		w.startBuildLocked(sc)
	}
	return scopes
}

// Forget drops the engines of the scopes that match, and returns those scopes.
func (w *Workspace) Forget(match func(Scope) bool) []Scope {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.forgetLocked(match)
}

// ForgetConfig forgets a configuration file that no longer exists, and the engines it
// governed; it returns their scopes.
func (w *Workspace) ForgetConfig(path string) []Scope {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.files, path)
	return w.forgetLocked(func(sc Scope) bool { return sc.Config == path })
}

func (w *Workspace) forgetLocked(match func(Scope) bool) []Scope {
	var dropped []Scope
	for sc := range w.slots {
		if match(sc) {
			dropped = append(dropped, sc)
			delete(w.slots, sc)
			delete(w.lastGood, sc)
		}
	}
	return dropped
}

// isCurrent reports whether s is still the slot of sc.
func (w *Workspace) isCurrent(sc Scope, s *slot) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.slots[sc] == s
}

// build builds the engine of one scope: its configuration file merged with the overlay. If
// that fails, the last engine built for the scope stays in force (or the file's alone, or
// the defaults), and the outcome says whose fault it is.
func (w *Workspace) build(s *slot, sc Scope, overlay analysis.Config, folders []string) {
	out := Build{Scope: sc, Current: func() bool { return w.isCurrent(sc, s) }}
	defer func() {
		if p := recover(); p != nil { // the scope's files then get no analysis, not a crash
			s.engine = nil
			out = Build{Scope: sc, Current: out.Current, Panic: fmt.Errorf("building the engine of %s panicked: %v\n%s", sc.Config, p, debug.Stack())}
			s.err = out.Panic
		}
		if w.hooks.Built != nil {
			w.hooks.Built(out)
		}
		close(s.done)
		if w.hooks.Settled != nil {
			w.hooks.Settled(sc)
		}
	}()
	var file analysis.Config
	var readErr error
	if sc.Config != "" {
		file, readErr = w.loadConfigFile(sc.Config)
		file.BaseDir = filepath.Dir(sc.Config)
		for _, p := range file.Exclude {
			s.exclude = append(s.exclude, excludeRule{file.BaseDir, p})
		}
	}
	ed := overlay
	ed.BaseDir = sc.Folder
	if ed.BaseDir == "" && len(folders) > 0 {
		ed.BaseDir = folders[0]
	}
	excludeFolders := folders
	if sc.Folder != "" {
		excludeFolders = []string{sc.Folder}
	}
	for _, p := range ed.Exclude {
		for _, r := range excludeFolders {
			s.exclude = append(s.exclude, excludeRule{r, p})
		}
	}
	s.policyDirs = append(file.PolicyDirs(), ed.PolicyDirs()...)

	fileErr, edErr := file.CheckPolicyDirs(), ed.CheckPolicyDirs()
	err := errors.Join(fileErr, edErr)
	var e *analysis.Engine
	if err == nil {
		e, err = analysis.NewEngine(w.ctx, mergeConfig(ResolvePolicyDirs(file), ResolvePolicyDirs(ed)))
	}
	if err == nil {
		s.engine, s.err = e, readErr
		w.mu.Lock()
		if w.slots[sc] == s {
			w.lastGood[sc] = e
		}
		w.mu.Unlock()
		out.Engine, out.Installed = e, true
		return
	}
	if w.ctx.Err() != nil {
		return
	}
	// Whose fault: the file's if it fails on its own, the overlay's if it does, or theirs
	// together.
	var alone *analysis.Engine
	if fileErr == nil {
		alone, fileErr = analysis.NewEngine(w.ctx, ResolvePolicyDirs(file))
	}
	if edErr == nil {
		_, edErr = analysis.NewEngine(w.ctx, ResolvePolicyDirs(ed))
	}
	s.err = errors.Join(readErr, err)
	if sc.Config != "" && fileErr != nil {
		s.err = errors.Join(readErr, fmt.Errorf("configuration %s: %w", sc.Config, fileErr))
	}
	if out.Current() {
		if fileErr != nil && readErr == nil && sc.Config != "" {
			out.FileErr = fileErr
		}
		if edErr != nil || fileErr == nil {
			out.SettingsErr = edErr
			if edErr == nil {
				out.SettingsErr = err
			}
		}
	}
	w.mu.Lock()
	s.engine = w.lastGood[sc]
	w.mu.Unlock()
	if s.engine == nil && fileErr == nil {
		s.engine = alone
	}
	if s.engine == nil {
		s.engine, _ = analysis.NewEngine(w.ctx, analysis.Config{})
	}
	out.Engine = s.engine
}
