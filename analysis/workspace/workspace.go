// Package workspace answers, for a file, which configuration governs it, whether it is
// excluded and which engine evaluates it, and owns those engines: one per scope (workspace
// folder and configuration file), built once, rebuilt when what they were built from
// changes. Both faces of the product use it: `check` and the language server. It knows
// nothing of how problems are shown: builds report their outcome through Hooks.
package workspace

import (
	"cmp"
	"context"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
)

// Options configure a Workspace.
type Options struct {
	// ReadConfig reads a configuration file; nil reads the disk. The editor passes its
	// unsaved buffers.
	ReadConfig func(path string) ([]byte, error)
	// ConfigFile, when set, governs every file instead of the nearest configuration file
	// (check --config).
	ConfigFile string
	Hooks      Hooks
}

// Hooks tell the face that owns a workspace what its builds found. They run on the build's
// goroutine without the workspace's lock held, so they may call the workspace.
type Hooks struct {
	// ConfigRead follows each read of a configuration file: err says why its text is not
	// valid (the last valid content then stays in force); text is what was read.
	ConfigRead func(path string, text []byte, err error)
	// Built follows each build, before the callers waiting for its engine are released.
	Built func(Build)
	// Settled follows each build, once the callers waiting for it are released.
	Settled func(Scope)
}

// Build is the outcome of building the engine of a scope.
type Build struct {
	Scope Scope
	// Engine is the engine in force: the new one when Installed, else the last good one of
	// the scope (or the configuration file's alone, or the defaults); nil when the build was
	// abandoned (the workspace's context ended) or panicked.
	Engine    *analysis.Engine
	Installed bool
	// FileErr is the configuration file's own fault: its text parses but does not build.
	// Set only while the build is the scope's newest.
	FileErr error
	// SettingsErr is the overlay's fault, alone or combined with the file. Set only while
	// the build is the scope's newest.
	SettingsErr error
	Panic       error // the build panicked; Engine is nil
	// Current reports whether the build is still the scope's newest: a newer configuration
	// may have replaced it meanwhile.
	Current func() bool
}

// Verdict is what governs one file.
type Verdict struct {
	Scope    Scope
	Engine   *analysis.Engine // nil when the build was abandoned
	Excluded bool             // an exclude pattern of the scope matches the file
	// Err is why the configuration in force is not the one asked for (a configuration file
	// that cannot be read, parsed or built, an overlay that does not build): the editor
	// reports it through Hooks and goes on with Engine, a checker stops.
	Err error
}

// Workspace is the configuration and the engines of a set of files. Its methods are safe
// for concurrent use; its lock is taken after any of the caller's, never before.
type Workspace struct {
	ctx        context.Context // the workspace's life: builds stop when it ends
	readConfig func(path string) ([]byte, error)
	override   string
	hooks      Hooks

	mu       sync.Mutex
	folders  []string
	overlay  analysis.Config
	files    map[string]*configFile     // by path: the configuration files read
	slots    map[Scope]*slot            // the engines in force, or being built
	lastGood map[Scope]*analysis.Engine // the last engine built for each scope
}

// New returns a workspace whose builds live as long as ctx.
func New(ctx context.Context, opts Options) *Workspace {
	read := opts.ReadConfig
	if read == nil {
		read = os.ReadFile
	}
	return &Workspace{
		ctx:        ctx,
		readConfig: read,
		override:   absolute(opts.ConfigFile),
		hooks:      opts.Hooks,
		files:      map[string]*configFile{},
		slots:      map[Scope]*slot{},
		lastGood:   map[Scope]*analysis.Engine{},
	}
}

// SetFolders sets the workspace folders, which bound the lookup of configuration files.
// Engines of scopes that no longer exist stay until Forget drops them.
func (w *Workspace) SetFolders(folders []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.folders = slices.Clone(folders)
}

// Folders returns the workspace folders.
func (w *Workspace) Folders() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.folders)
}

// SetOverlay puts in force a configuration applied over every configuration file, key by key
// (the editor's settings; check's --profile), rebuilds every engine and returns their
// scopes. Its relative paths are taken from each file's workspace folder (the first folder
// for files outside every folder).
func (w *Workspace) SetOverlay(c analysis.Config) []Scope {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.overlay = c
	return w.reloadLocked(func(Scope, *slot) bool { return true })
}

// RootsOf returns the roots of the file at path; a document that is not a file (path "")
// takes the first workspace folder's.
func (w *Workspace) RootsOf(path string) Roots {
	if path == "" {
		folders := w.Folders()
		if len(folders) == 0 {
			return w.rootsOfDir("", "")
		}
		return w.rootsOfDir(folders[0], folders[0])
	}
	path = absolute(path)
	return w.rootsOfDir(filepath.Dir(path), FolderOf(w.Folders(), path))
}

// ScopeOf returns the scope of the file at path (see RootsOf).
func (w *Workspace) ScopeOf(path string) Scope { return w.RootsOf(path).Scope() }

// ScopeOfDir returns the scope of the files of a directory (and of standard input, in the
// current directory).
func (w *Workspace) ScopeOfDir(dir string) Scope {
	dir = absolute(dir)
	return w.rootsOfDir(dir, FolderOf(w.Folders(), dir)).Scope()
}

func (w *Workspace) rootsOfDir(dir, folder string) Roots {
	switch {
	case w.override != "":
		return Roots{Folder: folder, Config: w.override, Chart: ChartRoot(dir, folder)}
	case dir == "":
		return Roots{}
	}
	return Roots{Folder: folder, Config: findConfig(dir, folder), Chart: ChartRoot(dir, folder)}
}

// File returns what governs the file at path, building its engine if needed.
func (w *Workspace) File(ctx context.Context, path string) (Verdict, error) {
	return w.Govern(ctx, w.ScopeOf(path), path)
}

// Govern returns what governs the file at path ("" for a document that is not a file, which
// no pattern excludes) in scope sc, building the scope's engine if needed: callers that ask
// while it is built wait for it. The error is only ctx's.
func (w *Workspace) Govern(ctx context.Context, sc Scope, path string) (Verdict, error) {
	w.mu.Lock()
	s := w.slots[sc]
	if s == nil {
		s = w.startBuildLocked(sc)
	}
	w.mu.Unlock()
	select {
	case <-s.done:
	case <-ctx.Done():
		return Verdict{}, ctx.Err()
	}
	return Verdict{Scope: sc, Engine: s.engine, Excluded: s.excludes(absolute(path)), Err: s.err}, nil
}

// Prepare starts building the engine of sc unless it is built or being built, so that its
// policies' problems are known before a file of the scope is analysed.
func (w *Workspace) Prepare(sc Scope) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.slots[sc] == nil {
		w.startBuildLocked(sc)
	}
}

// Engines returns the engines in force, in the order of their scopes.
func (w *Workspace) Engines() []*analysis.Engine {
	w.mu.Lock()
	defer w.mu.Unlock()
	scopes := make([]Scope, 0, len(w.slots))
	for sc, s := range w.slots {
		if s.built() && s.engine != nil {
			scopes = append(scopes, sc)
		}
	}
	slices.SortFunc(scopes, compareScopes)
	out := make([]*analysis.Engine, len(scopes))
	for i, sc := range scopes {
		out[i] = w.slots[sc].engine
	}
	return out
}

func compareScopes(a, b Scope) int {
	return cmp.Or(cmp.Compare(a.Folder, b.Folder), cmp.Compare(a.Config, b.Config))
}

// ConfigsRead returns the configuration files the engines read, with when each was last
// read (for a poller that looks for changes the editor does not report).
func (w *Workspace) ConfigsRead() map[string]time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make(map[string]time.Time, len(w.files))
	for path, f := range w.files {
		out[path] = f.readAt
	}
	return out
}

// PolicyDirs returns the policy directories the built engines were configured with (loaded
// or not), each with when the earliest build that loads it started: files changed since may
// be unseen by it.
func (w *Workspace) PolicyDirs() map[string]time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := map[string]time.Time{}
	for _, s := range w.slots {
		if !s.built() {
			continue
		}
		for _, dir := range s.policyDirs {
			if since, seen := out[dir]; !seen || s.started.Before(since) {
				out[dir] = s.started
			}
		}
	}
	return out
}
