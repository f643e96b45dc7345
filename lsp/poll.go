package lsp

import (
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/kube-policy-ls/kube-policy-ls/analysis/workspace"
)

// Polling: what no watcher of the client covers, the server looks at itself, so that a
// configuration or policy change applies within a second in every editor. A client that
// cannot register watchers (Neovim on Linux, and 0.7, which also opens no .rego or
// .kube-policy.yaml buffer with this server) gets the configuration files in force, the
// lookup of each open document's configuration and the configured policy directories
// polled; one without relative patterns gets the policy directories outside the workspace
// folders polled. Polling reads file metadata only (os.Stat, directory entries), in the same
// places the engines read, and in the files that the checks of charts and overlays read; a
// changed configuration file is reloaded at the tick after it stops changing.

// pollInterval is how often the server polls.
const pollInterval = 400 * time.Millisecond

// maxPolledEntries bounds the walk of one policy directory per tick: a policy directory
// holds a few dozen files (the engine loads at most 500 .rego files), and one that names a
// large tree is polled no further than this.
const maxPolledEntries = 5000

// fileStamp is what polling compares of a file; the zero stamp is a missing file.
type fileStamp struct {
	size int64
	mod  time.Time
}

func stampOf(info fs.FileInfo) fileStamp {
	return fileStamp{size: info.Size(), mod: info.ModTime()}
}

// poller is the state of polling, owned by its goroutine.
type poller struct {
	configs  map[string]fileStamp // configuration files in force
	policies map[string]fileStamp // .rego files of the polled policy directories
	dirs     map[string]bool      // the policy directories polled at the last tick
	// unsettled are the configuration files seen changing at the last tick: they are read
	// once a tick finds them as they were (settledConfigChanges).
	unsettled map[string]bool
	members   map[string]fileStamp // files (and directories) of charts and overlays
}

func newPoller() *poller {
	return &poller{configs: map[string]fileStamp{}, policies: map[string]fileStamp{}, dirs: map[string]bool{},
		unsettled: map[string]bool{}, members: map[string]fileStamp{}}
}

// pollFiles polls until the server stops.
func (s *Server) pollFiles() {
	p := newPoller()
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
			s.pollOnce(p)
		}
	}
}

// pollTargets are what one tick looks at.
type pollTargets struct {
	configs map[string]time.Time // configuration file -> when the engines read it
	dirs    map[string]time.Time // policy directory -> when the engine that loads it started
	rescope bool                 // look up the configuration of each open document again
	// members are the files the checks of charts and overlays read that no watcher reports,
	// and, for a client without one, their directories (a template created or deleted), with
	// when the check that read them started.
	members map[string]time.Time
}

// pollTargets returns what the client's watchers do not cover.
func (s *Server) pollTargets() pollTargets {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := pollTargets{configs: map[string]time.Time{}, dirs: map[string]time.Time{}, members: map[string]time.Time{}}
	if s.state != running {
		return t
	}
	watch, relative := false, false
	if ws := s.caps.Workspace; ws != nil && ws.DidChangeWatchedFiles != nil {
		watch = isTrue(ws.DidChangeWatchedFiles.DynamicRegistration)
		relative = isTrue(ws.DidChangeWatchedFiles.RelativePatternSupport)
	}
	// The watcher covers the workspace folders, and policy directories outside them when the
	// client supports relative patterns.
	folders := s.ws.Folders()
	inFolder := func(path string) bool { return watch && workspace.FolderOf(folders, path) != "" }
	for path, readAt := range s.ws.ConfigsRead() {
		if !inFolder(path) {
			t.configs[path] = readAt
		}
	}
	for dir, since := range s.ws.PolicyDirs() {
		if !(inFolder(dir) || (watch && relative)) {
			t.dirs[dir] = since
		}
	}
	for _, d := range s.docs {
		if (d.kind == kindManifest || d.kind == kindHelm) && !inFolder(d.path) {
			t.rescope = true
		}
	}
	for _, a := range s.assemblies {
		if a.reads == nil {
			continue
		}
		for _, path := range a.reads.paths() {
			if inFolder(path) && watchedMember(path) {
				continue
			}
			t.members[path] = a.reads.since
			if !watch {
				t.members[filepath.Dir(path)] = a.reads.since
			}
		}
	}
	return t
}

// pollOnce compares the targets with the last tick and reports what changed. A file seen for
// the first time counts as changed if it was modified after its engine read it.
func (s *Server) pollOnce(p *poller) {
	t := s.pollTargets()
	for _, path := range p.settledConfigChanges(t.configs) {
		s.goSafe("configuration file", func() { s.configFileChanged(path) })
	}
	if t.rescope {
		s.rescopeDocuments()
	}
	for _, path := range p.changedMembers(t.members) {
		s.memberFileChanged(path)
	}

	seen := map[string]bool{}
	var truncated []string
	for _, dir := range slices.Sorted(maps.Keys(t.dirs)) {
		since, known := t.dirs[dir], p.dirs[dir]
		n := 0
		_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return filepath.SkipDir
			}
			if n++; n > maxPolledEntries {
				truncated = append(truncated, dir)
				return filepath.SkipAll
			}
			if d.IsDir() || !isPolicyFile(path) {
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return nil
			}
			now := stampOf(info)
			seen[path] = true
			last, had := p.policies[path]
			p.policies[path] = now
			if (had && now != last) || (!had && (known || now.mod.After(since))) {
				s.policyFileChanged(path)
			}
			return nil
		})
	}
	for path := range p.policies {
		if seen[path] || slices.ContainsFunc(truncated, func(dir string) bool { return workspace.Within(dir, path) }) {
			continue
		}
		delete(p.policies, path)
		if _, polled := t.dirs[dirOfPolled(path, t.dirs)]; polled {
			s.policyFileChanged(path) // deleted
		}
	}
	p.dirs = map[string]bool{}
	for dir := range t.dirs {
		p.dirs[dir] = true
	}
}

// settledConfigChanges compares the configuration files (path -> when their engines read
// them) with the last tick, and returns those that changed and have since stayed as they are
// for a tick. A file is read only once it holds still: an editor that saves in place truncates
// the file before writing it, and an empty configuration is a valid one (the defaults). Read
// in between, it would be installed, and stay in force as the last good configuration if the
// text then written does not parse. A file seen for the first time counts as changed if it was
// modified after its engine read it.
func (p *poller) settledConfigChanges(configs map[string]time.Time) []string {
	changed := restamp(p.configs, configs)
	var settled []string
	for _, path := range slices.Sorted(maps.Keys(configs)) {
		switch {
		case slices.Contains(changed, path):
			p.unsettled[path] = true
		case p.unsettled[path]:
			delete(p.unsettled, path)
			settled = append(settled, path)
		}
	}
	maps.DeleteFunc(p.unsettled, func(path string, _ bool) bool { _, ok := configs[path]; return !ok })
	return settled
}

// changedMembers compares the files of charts and overlays (path -> when the check that read
// them started) with the last tick and returns those that changed, were created or were
// deleted since. A half-written template only renders badly until the next tick finds it
// written.
func (p *poller) changedMembers(members map[string]time.Time) []string {
	return restamp(p.members, members)
}

// restamp records the stamps of the files of targets (path -> when their reader read them),
// forgets the others, and returns, sorted, those whose stamp changed since the last tick or,
// seen for the first time, that were modified after they were read.
func restamp(stamps map[string]fileStamp, targets map[string]time.Time) []string {
	var changed []string
	for _, path := range slices.Sorted(maps.Keys(targets)) {
		var now fileStamp
		if info, err := os.Stat(path); err == nil {
			now = stampOf(info)
		}
		if last, seen := stamps[path]; (seen && now != last) || (!seen && now.mod.After(targets[path])) {
			changed = append(changed, path)
		}
		stamps[path] = now
	}
	maps.DeleteFunc(stamps, func(path string, _ fileStamp) bool { _, ok := targets[path]; return !ok })
	return changed
}

// paths returns the files an assembly's check read so far: what polling looks at.
func (r *memberReads) paths() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Collect(maps.Keys(r.read))
}

// dirOfPolled returns the polled directory that holds path, or "".
func dirOfPolled(path string, dirs map[string]time.Time) string {
	for dir := range dirs {
		if workspace.Within(dir, path) {
			return dir
		}
	}
	return ""
}
