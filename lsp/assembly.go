package lsp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"time"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"
	"go.uber.org/zap"

	"github.com/kube-policy-ls/kube-policy-ls/analysis/kustomize"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/workspace"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"
)

// An assembly is a root whose member files are checked together, not one by one: a Helm
// chart (templates, helpers, values.yaml, Chart.yaml and its subcharts are rendered into
// manifests), later a Kustomize overlay. A change of any member, open or not, checks the
// whole assembly again, debounced like a document's analysis, the stale check cancelled; the
// check reads the editor's unsaved text of every open member. Its findings are published on
// every member file that has some, open or not, and files that no longer have any are
// cleared. The last outcome stays for hover and code actions, which answer from it.
//
// A file is a member of at most one chart, and is checked only through it. A Kustomize
// overlay shares its members: a base resource is used by several overlays and is a manifest
// of its own as well; its diagnostics are its own check's merged with every overlay's
// (overlay_publish.go), so those assemblies do not publish on their own.
//
// What is specific to a kind of assembly lives behind assembler (chart.go for Helm,
// kustomize.go for overlays); this file only schedules, reads and publishes.

// assembler is one kind of assembly.
type assembler interface {
	// rootsOf returns the roots of the assemblies of this kind that the file at path is a
	// member of: at most one unless the kind is shared.
	rootsOf(s *Server, path string) []string
	// shared reports whether members keep their own check, the assembly's findings merged
	// with it (a Kustomize base); else a member is checked only through its assembly.
	shared() bool
	// check checks the assembly at root, reading files with read (the editor's text of open
	// members, else the disk's). The error is only a cancellation.
	// prev is the outcome of the assembly's previous check, nil for none.
	check(ctx context.Context, s *Server, root string, read *memberReads, prev assemblyOutcome) (assemblyOutcome, error)
}

// assemblyOutcome is what a check of an assembly found.
type assemblyOutcome interface {
	// diagnostics returns the diagnostics of every file with findings, by absolute path.
	diagnostics(enc yamldoc.Encoding) map[string][]protocol.Diagnostic
}

// assembly is the state of one assembly root. Guarded by Server.mu.
type assembly struct {
	root      string
	kind      assembler
	gen       uint64    // bumped by every change of a member or of the configuration
	changedAt time.Time // when the latest change arrived
	timer     *time.Timer
	run       *run
	done      bool              // outcome is of gen
	outcome   assemblyOutcome   // the latest check completed; nil before the first
	reads     *memberReads      // the files that check read
	published map[string][]byte // by file; for a shared kind, the files it has findings on
	stats     assemblyStats
}

// assemblyStats count the checks of an assembly (debugState; tests of the cancellation).
type assemblyStats struct {
	Started   int `json:"started"`
	Cancelled int `json:"cancelled"` // stopped, or finished after a newer change: not published
	Published int `json:"published"` // completed and current
}

// memberOf returns the kind and root of the assembly that the file at path is a member of;
// root is "" for none. It looks at the file system: call it without s.mu.
func (s *Server) memberOf(path string) (assembler, string) {
	if path == "" {
		return nil, ""
	}
	for _, kind := range assemblers {
		if roots := kind.rootsOf(s, path); len(roots) > 0 {
			return kind, roots[0]
		}
	}
	return nil, ""
}

// assemblyLocked returns the state of the assembly at root, creating it. Called with s.mu
// held.
func (s *Server) assemblyLocked(kind assembler, root string) *assembly {
	a := s.assemblies[root]
	if a == nil {
		a = &assembly{root: root, kind: kind, published: map[string][]byte{}}
		s.assemblies[root] = a
	}
	return a
}

// readAs reports whether a's latest check is current and read the file at path with this
// text: opening a file as it is on disk changes nothing. Called with Server.mu held.
func (a *assembly) readAs(path, text string) bool {
	if !a.done || a.reads == nil {
		return false
	}
	got, _, ok := a.reads.text(path)
	return ok && got == text
}

// readFromDisk reports whether a's latest check read the file at path from the disk (it was
// not open then, or its text was the disk's). Called with Server.mu held.
func (a *assembly) readFromDisk(path string) bool {
	if a.reads == nil {
		return false
	}
	o, open := a.reads.open[path]
	if !open {
		return true
	}
	data, err := os.ReadFile(path)
	return err == nil && string(data) == o.text
}

// assemblyUnderLocked returns the known assembly that path is a member of: under its root,
// or read by its latest check from outside it (a values file the configuration names); nil
// for none. Called with s.mu held.
func (s *Server) assemblyUnderLocked(path string) *assembly {
	var best *assembly
	for root, a := range s.assemblies {
		if !a.kind.shared() && workspace.Within(root, path) && (best == nil || len(root) > len(best.root)) {
			best = a
		}
	}
	if best != nil || path == "" {
		return best
	}
	for _, root := range slices.Sorted(maps.Keys(s.assemblies)) {
		if a := s.assemblies[root]; !a.kind.shared() && a.reads != nil && a.reads.has(path) {
			return a
		}
	}
	return nil
}

// adoptInputsLocked makes the open documents that a's check read from outside its root
// members of it: their changes check it again, and they are no longer analysed as
// manifests. Called with s.mu held.
func (s *Server) adoptInputsLocked(a *assembly) {
	if a.kind.shared() {
		return
	}
	for _, d := range s.docs {
		if d.assembly == nil && d.kind == kindManifest && a.reads.has(d.path) {
			d.kind, d.assembly = kindMember, a
			d.changed()
			s.clearLocked(d)
			s.scheduleLocked(d, 0)
		}
	}
}

// touchAssemblyLocked records a change of a member of a and schedules its check after
// delay, cancelling the stale one. Called with s.mu held.
func (s *Server) touchAssemblyLocked(a *assembly, delay time.Duration) {
	a.gen++
	a.done = false
	a.changedAt = time.Now()
	if a.run != nil {
		a.run.cancel()
		a.run = nil
	}
	if a.timer != nil {
		a.timer.Stop()
		a.timer = nil
	}
	if s.state != running {
		return
	}
	if delay <= 0 {
		s.startAssemblyLocked(a)
		return
	}
	gen := a.gen
	a.timer = time.AfterFunc(delay, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if a.gen == gen && !a.done && a.run == nil && s.state == running {
			a.timer = nil
			s.startAssemblyLocked(a)
		}
	})
}

// startAssemblyLocked starts checking a's current generation now, unless that is under way,
// and returns the run. Called with s.mu held.
func (s *Server) startAssemblyLocked(a *assembly) *run {
	if a.timer != nil {
		a.timer.Stop()
		a.timer = nil
	}
	if a.run != nil {
		if a.run.gen == a.gen {
			return a.run
		}
		a.run.cancel()
	}
	ctx, cancel := context.WithCancel(s.ctx)
	r := &run{gen: a.gen, ctx: ctx, cancel: cancel, done: make(chan struct{})}
	a.run = r
	a.stats.Started++
	reads := &memberReads{open: map[string]openText{}, read: map[string]string{}, since: time.Now()}
	for _, d := range s.docs {
		// an overlay reads bases from anywhere: every open file is taken as the editor has it
		if d.path != "" && !d.outOfSync && (d.assembly == a || a.kind.shared() || workspace.Within(a.root, d.path)) {
			reads.open[d.path] = openText{text: d.mapper.Text(), version: d.version, uri: d.uri}
		}
	}
	go s.checkAssembly(a, r, reads, a.outcome, s.enc, s.beforeAssemblyCheck)
	return r
}

func (s *Server) checkAssembly(a *assembly, r *run, reads *memberReads, prev assemblyOutcome, enc yamldoc.Encoding, before func(context.Context, string)) {
	defer close(r.done)
	defer r.cancel()
	if before != nil {
		before(r.ctx, a.root)
	}
	start := time.Now()
	var out assemblyOutcome
	err := func() (err error) {
		defer func() {
			if p := recover(); p != nil {
				s.log.Error("checking an assembly panicked", zap.String("root", a.root), zap.Any("panic", p), zap.ByteString("stack", debug.Stack()))
				err = fmt.Errorf("panic: %v", p)
			}
		}()
		out, err = a.kind.check(r.ctx, s, a.root, reads, prev)
		return err
	}()
	s.mu.Lock()
	if a.run == r {
		a.run = nil
	}
	current := err == nil && a.gen == r.gen && s.state == running
	if !current {
		a.stats.Cancelled++
		s.mu.Unlock()
		if err != nil && !errors.Is(err, context.Canceled) {
			s.log.Error("checking an assembly failed", zap.String("root", a.root), zap.Error(err))
			go s.logToClient(protocol.MessageTypeError, fmt.Sprintf("kube-policy-ls: checking %s failed (%v); please report it", a.root, err))
		}
		return
	}
	a.stats.Published++
	a.done, a.outcome, a.reads = true, out, reads
	s.adoptInputsLocked(a)
	since := a.changedAt
	s.mu.Unlock()
	s.log.Debug("assembly checked", zap.String("root", a.root), zap.Uint64("gen", r.gen), zap.Duration("took", time.Since(start)))
	if a.kind.shared() {
		s.publishShared(a, r.gen, since)
		// the latency harness reads it: a keystroke's overlays merged into the diagnostics
		s.log.Debug("overlay merged", zap.String("root", a.root), zap.Uint64("gen", r.gen), zap.Float64("sinceChangeMs", float64(time.Since(since).Microseconds())/1000))
	} else {
		s.publishAssembly(a, r.gen, out.diagnostics(enc), since)
	}
	s.mu.Lock()
	pull := s.pull
	s.mu.Unlock()
	if pull {
		// the findings of a change may be on other open files: the client pulls them again
		s.refreshPulledDiagnostics()
	}
}

// publishAssembly publishes the diagnostics of every member file that has some, and clears
// those published before that have none now.
func (s *Server) publishAssembly(a *assembly, gen uint64, diags map[string][]protocol.Diagnostic, since time.Time) {
	bodies := make(map[string][]byte, len(diags))
	for file, ds := range diags {
		body, err := protocol.Marshal(ds)
		if err != nil {
			s.log.Error("encoding diagnostics", zap.String("file", file), zap.Error(err))
			continue
		}
		bodies[file] = body
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if a.gen != gen || s.pull {
		return
	}
	// Open members are published at each new version, with or without findings, so that the
	// client knows which text they answer; other files when they change.
	files := map[string]bool{}
	for file := range bodies {
		files[file] = true
	}
	for file := range a.published {
		files[file] = true
	}
	open := map[string]*document{}
	for _, d := range s.docs {
		if d.assembly == a && !d.closed {
			open[d.path], files[d.path] = d, true
		}
	}
	for _, file := range slices.Sorted(maps.Keys(files)) {
		body, ok := bodies[file]
		if !ok {
			body = []byte("[]")
		}
		u, version := uri.File(file), int32(-1)
		if d := open[file]; d != nil {
			u, version = d.uri, d.version
		}
		key := append(strconv.AppendInt(nil, int64(version), 10), body...)
		if last, had := a.published[file]; (had && bytes.Equal(last, key)) || (!had && !ok && version < 0) {
			continue
		}
		if ok || version >= 0 {
			a.published[file] = key
		} else {
			delete(a.published, file)
		}
		s.out.put(u, version, body, since)
	}
}

// assemblyState is an assembly's outcome of its latest generation, waiting for its check
// (starting it at once if it was only scheduled); nil when path is in no assembly.
func (s *Server) assemblyState(ctx context.Context, path string) (assemblyOutcome, *memberReads, error) {
	for {
		if err := s.ctx.Err(); err != nil {
			return nil, nil, err
		}
		s.mu.Lock()
		a := s.assemblyUnderLocked(path)
		if a == nil {
			s.mu.Unlock()
			return nil, nil, nil
		}
		if a.done {
			out, reads := a.outcome, a.reads
			s.mu.Unlock()
			return out, reads, nil
		}
		if s.state != running {
			s.mu.Unlock()
			return nil, nil, errors.New("the server is shutting down")
		}
		r := s.startAssemblyLocked(a)
		s.mu.Unlock()
		select {
		case <-r.done:
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
	}
}

// reassembleLocked checks again the assemblies governed by scopes (their engines were
// rebuilt), or every assembly when scopes is nil. Called with s.mu held.
func (s *Server) reassembleLocked(scopes []scope) {
	// the kustomize key may have changed: the open documents' overlays are found again
	s.overlays.forget()
	s.goSafe("overlays", s.rejoinOverlays)
	for _, a := range s.assemblies {
		if scopes == nil || slices.Contains(scopes, s.ws.ScopeOfDir(a.root)) {
			s.touchAssemblyLocked(a, 0)
		}
	}
}

// stopAssembliesLocked cancels every check under way. Called with s.mu held.
func (s *Server) stopAssembliesLocked() {
	for _, a := range s.assemblies {
		if a.timer != nil {
			a.timer.Stop()
			a.timer = nil
		}
		if a.run != nil {
			a.run.cancel()
			a.run = nil
		}
	}
}

// memberFileChanged checks again the assemblies that hold a file changed on disk (a watched
// file, a save); files of no known assembly are ignored.
func (s *Server) memberFileChanged(path string) {
	roots := s.overlayFileChanged(path)
	if kustomize.IsFileName(filepath.Base(path)) {
		s.rejoinOverlays()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.assemblyUnderLocked(path); a != nil {
		s.touchAssemblyLocked(a, s.debounceLocked())
	}
	for _, root := range roots {
		if a := s.assemblies[root]; a != nil {
			s.touchAssemblyLocked(a, s.debounceLocked())
		}
	}
}
