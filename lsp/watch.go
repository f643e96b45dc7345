package lsp

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"
	"go.uber.org/zap"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/workspace"
)

// Live reload: the server hears of changed configuration files and custom policies through
// workspace/didChangeWatchedFiles (a watcher it registers when the client allows dynamic
// registration), and through didSave of an open .rego or configuration file for clients that
// watch nothing. A changed policy rebuilds the engines whose policy directories hold it and
// analyses their documents again.
//
// The watcher covers the workspace folders (**/.kube-policy.yaml, **/*.rego) and, when the
// client supports relative patterns, each configured policy directory outside them; it is
// registered again when those directories change.

// policyReloadDelay gathers the file events of a burst (a checkout, a save of many files)
// into one rebuild.
const policyReloadDelay = 50 * time.Millisecond

// watchState is the file watcher registered with the client and the policy files changed
// since the last rebuild.
type watchState struct {
	regMu sync.Mutex // serialises registrations with the client
	id    string     // the registration in force, "" for none
	key   string     // its watchers, encoded
	seq   int

	mu      sync.Mutex
	changed []string    // policy files changed since the last rebuild
	timer   *time.Timer // the pending rebuild
}

// isPolicyFile reports whether path names a Rego file the engine would load.
func isPolicyFile(path string) bool {
	return path != "" && strings.HasSuffix(path, ".rego") && !strings.HasSuffix(path, "_test.rego")
}

func (s *Server) didChangeWatchedFiles(p *protocol.DidChangeWatchedFilesParams) {
	for _, c := range p.Changes {
		switch path := uriPath(c.URI); {
		case isConfigFile(path):
			s.goSafe("configuration file", func() { s.configFileChanged(path) })
		case isPolicyFile(path):
			s.policyFileChanged(path)
		default:
			s.memberFileChanged(path)
		}
	}
}

// policyFileChanged schedules the rebuild of the engines whose policy directories hold path.
func (s *Server) policyFileChanged(path string) {
	w := &s.watch
	w.mu.Lock()
	defer w.mu.Unlock()
	w.changed = append(w.changed, filepath.Clean(path))
	if w.timer == nil {
		w.timer = time.AfterFunc(policyReloadDelay, func() { s.goSafe("policy reload", s.reloadPolicies) })
	}
}

// reloadPolicies rebuilds the engines that load one of the changed policy files.
func (s *Server) reloadPolicies() {
	w := &s.watch
	w.mu.Lock()
	changed := w.changed
	w.changed, w.timer = nil, nil
	w.mu.Unlock()
	n := 0
	s.mu.Lock()
	if s.state == running {
		scopes := s.ws.ReloadPolicies(changed)
		n = len(scopes)
		s.reanalyseLocked(scopes)
	}
	s.mu.Unlock()
	if n == 0 {
		s.log.Debug("changed Rego files are in no configured policy directory", zap.Strings("files", changed))
		return
	}
	s.refreshPulledDiagnostics()
	s.logToClient(protocol.MessageTypeInfo, fmt.Sprintf("custom policies changed (%s): reloading", summarize(changed, 3)))
}

// memberGlobs are the files of charts and overlays that the file watcher reports, below any
// directory: the files of Helm charts (assembly.go), whose change re-renders a chart being
// shown, and kustomizations (kustomize.go), one created, changed or deleted re-finding the
// overlays. What else an overlay reads (its bases, patches and resources, by any name) is
// polled (poll.go).
var memberGlobs = []string{workspace.ChartFile, "values*.yaml", "*.tpl", "templates/**", "kustomization.yaml", "kustomization.yml", "Kustomization"}

// watchedMember reports whether a file of a chart or an overlay matches memberGlobs.
func watchedMember(path string) bool {
	for _, g := range memberGlobs {
		if dir, ok := strings.CutSuffix(g, "/**"); ok {
			if slices.Contains(strings.Split(filepath.ToSlash(filepath.Dir(path)), "/"), dir) {
				return true
			}
		} else if ok, _ := filepath.Match(g, filepath.Base(path)); ok {
			return true
		}
	}
	return false
}

// watchers returns the file watchers the server wants: the configuration files and policies
// of the workspace folders and, with relative pattern support, every configured policy
// directory outside them.
func (s *Server) watchers() []any {
	s.mu.Lock()
	relative := false
	if ws := s.caps.Workspace; ws != nil && ws.DidChangeWatchedFiles != nil {
		relative = isTrue(ws.DidChangeWatchedFiles.RelativePatternSupport)
	}
	s.mu.Unlock()
	roots := s.ws.Folders()
	var dirs []string
	if relative {
		dirs = slices.Collect(maps.Keys(s.ws.PolicyDirs()))
	}
	out := []any{
		map[string]any{"globPattern": "**/" + analysis.ConfigFileName},
		map[string]any{"globPattern": "**/*.rego"},
	}
	for _, g := range memberGlobs {
		out = append(out, map[string]any{"globPattern": "**/" + g})
	}
	slices.Sort(dirs)
	for _, dir := range slices.Compact(dirs) {
		if workspace.FolderOf(roots, dir) != "" {
			continue
		}
		out = append(out, map[string]any{"globPattern": map[string]any{"baseUri": string(uri.File(dir)), "pattern": "**/*.rego"}})
	}
	return out
}

// watchRegistrationLocked returns the registration of the file watchers, and records it as
// the one in force. Called with s.watch.regMu held.
func (s *Server) watchRegistrationLocked() protocol.Registration {
	w := &s.watch
	ws := s.watchers()
	b, _ := json.Marshal(ws)
	w.seq++
	w.id, w.key = fmt.Sprintf("kubePolicy.watchedFiles.%d", w.seq), string(b)
	return protocol.Registration{ID: w.id, Method: protocol.MethodWorkspaceDidChangeWatchedFiles,
		RegisterOptions: jsonValue(map[string]any{"watchers": ws})}
}

// canWatch reports whether the client lets the server register file watchers.
func (s *Server) canWatch() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	ws := s.caps.Workspace
	return s.state == running && ws != nil && ws.DidChangeWatchedFiles != nil && isTrue(ws.DidChangeWatchedFiles.DynamicRegistration)
}

// updateWatchers registers the file watchers again if they changed (a policy directory
// outside the workspace folders was configured or dropped, a folder added or removed).
func (s *Server) updateWatchers() {
	if !s.canWatch() {
		return
	}
	w := &s.watch
	w.regMu.Lock()
	defer w.regMu.Unlock()
	if w.id == "" { // not registered yet: afterInitialized does it
		return
	}
	b, _ := json.Marshal(s.watchers())
	if string(b) == w.key {
		return
	}
	ctx, cancel := context.WithTimeout(s.ctx, clientCallTimeout)
	defer cancel()
	old := w.id
	if err := s.client.UnregisterCapability(ctx, &protocol.UnregistrationParams{Unregisterations: []protocol.Unregistration{
		{ID: old, Method: protocol.MethodWorkspaceDidChangeWatchedFiles},
	}}); err != nil {
		s.log.Warn("client/unregisterCapability failed", zap.Error(err))
	}
	reg := s.watchRegistrationLocked()
	if err := s.client.RegisterCapability(ctx, &protocol.RegistrationParams{Registrations: []protocol.Registration{reg}}); err != nil {
		s.log.Warn("client/registerCapability failed", zap.Error(err))
	}
}
