package lsp

import (
	"context"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.lsp.dev/protocol"
	"go.uber.org/zap"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/kustomize"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/workspace"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"
)

// A Kustomize overlay is a shared assembly (assembly.go): every file it reads (its
// kustomization, the bases', components', resources and patches) is a member, and a file is a
// member of every overlay that reads it. The overlay is built with the editor's unsaved text
// and what it builds checked (analysis/kustomize), each finding placed on the patch,
// transformer entry or base line that set its field. A base resource keeps its own check;
// kustomizations and patch files (fragments) are meaningful only through the build and get
// no check of their own. Problems of the overlay (a missing file, a remote resource, a cycle,
// an invalid patch) are kustomize-build findings at their entries.

// overlaySaveOnly is the budget of an overlay's build and check: an overlay whose last two
// took longer is checked again on save only, so that typing never queues behind it. Two,
// because the first check of a session is cold (kustomize's first parse, the engine's first
// evaluations) and one check can be slowed by the others running with it. It is wall time (a
// check's CPU time is spread over goroutines and not measured), which is also what the user
// waits for.
const overlaySaveOnly = 200 * time.Millisecond

// overlayAssembler is the Kustomize overlay kind of assembly.
type overlayAssembler struct{}

func (overlayAssembler) rootsOf(s *Server, path string) []string {
	roots, _ := s.overlays.of(s, path)
	return roots
}

func (overlayAssembler) shared() bool { return true }

func (overlayAssembler) check(ctx context.Context, s *Server, root string, reads *memberReads, prev assemblyOutcome) (assemblyOutcome, error) {
	s.mu.Lock()
	sev, docs := s.settings.editor.severities(), s.settings.editor.docs()
	s.mu.Unlock()
	out := &overlayOutcome{root: root, reads: reads, sev: sev, docs: docs}
	file := kustomize.FileIn(root)
	if file == "" { // deleted since
		return out, nil
	}
	v, err := s.ws.File(ctx, file)
	if err != nil {
		return nil, err
	}
	if v.Engine == nil || v.Excluded || !v.Engine.Config().KustomizeEnabled() {
		return out, nil
	}
	out.engine = v.Engine
	if p, ok := prev.(*overlayOutcome); ok {
		out.took[1] = p.took[0]
	}
	start := time.Now()
	defer func() { out.took[0] = time.Since(start) }()
	b, err := kustomize.Build(ctx, root, kustomize.Options{Read: reads.ReadFile})
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		// past its deadline, or its kustomization gone: said at the kustomization's top
		out.findings = []kustomize.Finding{{
			Finding:  analysis.Finding{Rule: analysis.RuleKustomizeBuild, Severity: v.Engine.Severity(analysis.RuleKustomizeBuild), Message: err.Error()},
			Overlays: []string{root}, At: kustomize.Location{File: file, Line: 1, Column: 1, EndLine: 1, EndColumn: 2}, By: "kustomization",
		}}
		return out, nil
	}
	var before *analysis.Result
	if p, ok := prev.(*overlayOutcome); ok && p.checked != nil {
		before = p.checked.Result
	}
	c, err := b.Check(ctx, v.Engine, before)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	out.built, out.checked, out.findings = b, c, c.Findings
	s.overlays.learn(b.Overlay)
	return out, nil
}

// overlayOutcome is an overlay built, checked and placed, with the texts it was built from.
type overlayOutcome struct {
	root     string
	reads    *memberReads
	engine   *analysis.Engine   // nil when the overlay is off, excluded or has no engine
	built    *kustomize.Built   // nil when it did not build
	checked  *kustomize.Checked // nil when it did not build
	findings []kustomize.Finding
	took     [2]time.Duration // to build and check (not to wait for the engine): this check, the one before
	sev      severityMap
	docs     string
}

// diagnostics is not how an overlay publishes: it is shared, and its findings are merged
// with its members' own checks (overlay_publish.go).
func (o *overlayOutcome) diagnostics(yamldoc.Encoding) map[string][]protocol.Diagnostic {
	return nil
}

// mapper returns a Mapper over a file's text as the check read it.
func (o *overlayOutcome) mapper(path string) (*yamldoc.Mapper, *int32) { return o.reads.mapper(path) }

// overlayIndex knows the overlay roots of the workspace folders, and of the directories near
// the open documents outside every folder (overlay_nearby.go), and the files each reads:
// found on the disk when first asked, again after a kustomization file changes or a document
// needs another directory walked, and kept up to date with the unsaved text by every build.
type overlayIndex struct {
	mu    sync.Mutex
	known bool
	// stale is set by forget, which never waits for mu: a discovery holds mu while it waits
	// for an engine build, whose hook takes Server.mu, and forget is called under Server.mu.
	stale     atomic.Bool
	files     map[string][]string // by overlay root: the files it reads, sorted
	fragments map[string]bool     // the files an overlay reads as a kustomization or a patch
	scanned   []string            // the directories the latest discovery walked

	// nearMu guards near alone and is taken last: overlayName reads near under Server.mu,
	// and a discovery under mu.
	nearMu sync.Mutex
	near   map[string]kustomize.Nearby // by open document outside every folder: where its overlays are looked for
}

// of returns the overlays that read the file at path, and whether one reads it as a
// kustomization or a patch. It looks at the file system: call it without Server.mu.
func (x *overlayIndex) of(s *Server, path string) ([]string, bool) {
	if path == "" {
		return nil, false
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.stale.Swap(false) || !x.known {
		x.discoverLocked(s)
	}
	var roots []string
	for root, files := range x.files {
		if _, ok := slices.BinarySearch(files, path); ok {
			roots = append(roots, root)
		}
	}
	slices.Sort(roots)
	return roots, x.fragments[path]
}

// discoverLocked finds the overlay roots of the workspace folders and of the directories
// near the open documents outside them that the configuration leaves on, and what each reads
// on the disk.
func (x *overlayIndex) discoverLocked(s *Server) {
	x.known, x.files, x.fragments, x.scanned = true, map[string][]string{}, map[string]bool{}, nil
	var roots []string
	for _, folder := range s.ws.Folders() {
		found, _ := kustomize.Roots(folder, nil) // a directory that cannot be read has none
		roots, x.scanned = append(roots, found...), append(x.scanned, folder)
	}
	for _, n := range x.nearby() {
		found, cut := n.Roots(nil, kustomize.NearbyMaxDirs)
		if cut {
			s.log.Debug("overlays near an open file: the walk stopped at its directory limit",
				zap.String("dir", n.Scan), zap.Int("maxDirs", kustomize.NearbyMaxDirs))
		}
		roots, x.scanned = append(roots, found...), append(x.scanned, n.Scan)
	}
	for _, root := range roots {
		if _, seen := x.files[root]; seen { // under a folder and near a document
			continue
		}
		v, err := s.ws.File(s.ctx, kustomize.FileIn(root))
		if err != nil || v.Engine == nil || v.Excluded || !v.Engine.Config().KustomizeEnabled() {
			continue
		}
		x.addLocked(kustomize.Load(root, nil))
	}
}

func (x *overlayIndex) addLocked(o *kustomize.Overlay) {
	x.files[o.Root] = o.Files
	for _, f := range o.Files {
		if o.Fragment(f) {
			x.fragments[f] = true
		}
	}
}

// learn records what an overlay read in its latest build (the editor's text may add or drop
// a patch).
func (x *overlayIndex) learn(o *kustomize.Overlay) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.known {
		x.addLocked(o)
	}
}

// forget makes the next question find the overlays again.
func (x *overlayIndex) forget() {
	x.stale.Store(true)
}

// overlayFileChanged returns the overlays that read a file changed on disk; a kustomization
// file created, changed or deleted makes the overlays be found again first.
func (s *Server) overlayFileChanged(path string) []string {
	if kustomize.IsFileName(filepath.Base(path)) {
		s.overlays.forget()
	}
	roots, _ := s.overlays.of(s, path)
	if !kustomize.IsFileName(filepath.Base(path)) {
		return roots
	}
	// the overlay whose kustomization it is (created, or deleted: then it reads nothing)
	dir := filepath.Dir(path)
	s.mu.Lock()
	_, known := s.assemblies[dir]
	s.mu.Unlock()
	if known && !slices.Contains(roots, dir) {
		roots = append(roots, dir)
	}
	return roots
}

// overlayName names an overlay root in messages as the user knows it: relative to its
// workspace folder, with a trailing slash; outside every folder, relative to the outermost
// directory walked for the open documents near it (a base's parent: "overlays/prod/"), else
// by its path. An overlay that is that directory itself (an editor that roots the workspace
// at the file's directory, Neovim without a root marker) is named by its directory: "./"
// would name nothing.
func (s *Server) overlayName(root string) string {
	name := root
	dir := workspace.FolderOf(s.ws.Folders(), root)
	if dir == "" {
		dir = s.overlays.scanOf(root)
	}
	if dir != "" {
		if rel, err := filepath.Rel(dir, root); err == nil {
			name = filepath.ToSlash(rel)
		}
	}
	if name == "." {
		name = filepath.Base(root)
	}
	return name + "/"
}

// slowLocked reports whether an overlay is checked again on save only. Called with s.mu held.
func (s *Server) slowLocked(a *assembly) bool {
	o, ok := a.outcome.(*overlayOutcome)
	return ok && o.took[1] > 0 && min(o.took[0], o.took[1]) > s.overlayBudget
}

// rejoinOverlays gives every open document the overlays that read it now, after a
// kustomization was created, changed or deleted: overlays new to it are checked, and it
// becomes a fragment, or a manifest again, as they read it.
func (s *Server) rejoinOverlays() {
	s.mu.Lock()
	var docs []*document
	for _, d := range s.docs {
		if d.assembly == nil && d.path != "" && (d.kind == kindManifest || d.kind == kindFragment) {
			docs = append(docs, d)
		}
	}
	s.mu.Unlock()
	roots, fragment := make([][]string, len(docs)), make([]bool, len(docs))
	for i, d := range docs { // d.path never changes
		roots[i], fragment[i] = s.overlays.of(s, d.path)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, d := range docs {
		if d.closed {
			continue
		}
		kind := kindManifest
		if fragment[i] {
			kind = kindFragment
		}
		if kind != d.kind {
			d.kind = kind
			d.changed()
			s.scheduleLocked(d, 0)
		}
		var as []*assembly
		for _, r := range roots[i] {
			a := s.assemblyLocked(overlayAssembler{}, r)
			if !slices.Contains(d.overlays, a) {
				s.touchAssemblyLocked(a, s.debounceLocked())
			}
			as = append(as, a)
		}
		d.overlays = as
	}
}
