package lsp

import (
	"fmt"
	"slices"
	"time"

	"go.lsp.dev/protocol"
	"go.uber.org/zap"

	"github.com/kube-policy-ls/kube-policy-ls/analysis/workspace"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"
)

// Which configuration and engine govern each document is the workspace's answer
// (analysis/workspace): the .kube-policy.yaml nearest above the document, bounded by its
// workspace folder, merged key by key with the editor's `kubePolicy` settings
// (initializationOptions, then workspace/configuration or workspace/didChangeConfiguration),
// which win, since editors send only what the user set. The server tells the workspace what
// changed (settings.go, config_file.go, workspace_folders.go, watch.go), analyses again the
// documents of the scopes it rebuilds, and shows what the builds found: a configuration file
// that does not validate as diagnostics on it, settings that do not apply as a message,
// custom policies' problems on their files. The last good configuration stays in force.

// scope is what decides the engine of a document (see workspace.Scope).
type scope = workspace.Scope

// settingsState is the editor's settings. Guarded by Server.mu.
type settingsState struct {
	editor      settings // the settings in force
	init        settings // the initializationOptions
	sawSettings bool     // the client has sent settings of its own since
	seq         uint64   // the newest settings received, applied or not
	shownError  string   // the last message shown about settings that do not apply
}

// configFileState is what the server showed of configuration files. Guarded by Server.mu.
type configFileState struct {
	pushed      map[string]bool        // config files with diagnostics published while closed
	applyTimers map[string]*time.Timer // open config files: the pending application of their text
}

// newWorkspace returns the server's workspace: configuration files are read from the
// editor's text when they are open, and the outcome of every build is shown to the user.
func (s *Server) newWorkspace() *workspace.Workspace {
	return workspace.New(s.ctx, workspace.Options{
		ReadConfig: s.configText,
		Hooks: workspace.Hooks{
			ConfigRead: s.configRead,
			Built:      s.engineBuilt,
			// once the engine is built: its policy directories may be new
			Settled: func(scope) { s.updateWatchers() },
		},
	})
}

// configRead reports the problems of a configuration file just read as diagnostics on it.
func (s *Server) configRead(path string, text []byte, err error) {
	var diags []protocol.Diagnostic
	if err != nil {
		s.logToClient(protocol.MessageTypeError, fmt.Sprintf("configuration %s: %v (the last valid configuration stays in force)", path, err))
		diags = configErrorDiagnostics(yamldoc.NewMapper(string(text)), err, s.encoding())
	}
	s.pushConfigDiagnostics(path, diags)
}

// engineBuilt shows what the build of a scope's engine found: a new engine's policy
// problems, or where the fault lies when the configuration does not build.
func (s *Server) engineBuilt(b workspace.Build) {
	switch {
	case b.Panic != nil: // documents then get no diagnostics, not a crash
		s.log.Error("building the engine panicked", zap.String("config", b.Scope.Config), zap.Error(b.Panic))
	case b.Installed:
		s.setPolicyProblems(engineSource(b.Scope), b.Engine.PolicyErrors(), b.Engine, b.Current)
	}
	if b.FileErr != nil {
		s.logToClient(protocol.MessageTypeError, fmt.Sprintf("configuration %s: %v (the last valid configuration stays in force)", b.Scope.Config, b.FileErr))
		if data, err := s.configText(b.Scope.Config); err == nil {
			s.pushConfigDiagnostics(b.Scope.Config, configErrorDiagnostics(yamldoc.NewMapper(string(data)), b.FileErr, s.encoding()))
		}
	}
	if b.SettingsErr != nil {
		msg := fmt.Sprintf("kube-policy-ls: the editor settings do not apply: %v", b.SettingsErr)
		s.mu.Lock()
		shown := s.settings.shownError == msg // by the engine of another scope
		s.settings.shownError = msg
		s.mu.Unlock()
		if !shown {
			s.logToClient(protocol.MessageTypeError, msg)
			s.showMessage(protocol.MessageTypeError, msg)
		}
	}
}

// reanalyseLocked analyses again the open manifests of the scopes the workspace rebuilt.
// Called with s.mu held.
func (s *Server) reanalyseLocked(scopes []scope) {
	if len(scopes) == 0 {
		return
	}
	for _, d := range s.docs {
		if (d.kind == kindManifest || d.kind == kindHelm) && slices.Contains(scopes, d.scope) {
			d.changed()
			s.scheduleLocked(d, 0)
		}
	}
	s.reassembleLocked(scopes)
}

// forgetPolicyProblems clears the policy problems of engines the workspace dropped.
func (s *Server) forgetPolicyProblems(dropped []scope) {
	for _, sc := range dropped {
		s.setPolicyProblems(engineSource(sc), nil, nil, nil)
	}
}

// rescopeDocuments moves each open manifest to the scope it now belongs to (a configuration
// file was created or deleted, a workspace folder added or removed) and analyses again those
// that moved.
func (s *Server) rescopeDocuments() {
	s.mu.Lock()
	var docs []*document
	for _, d := range s.docs {
		if d.kind == kindManifest || d.kind == kindHelm || d.kind == kindMember || d.kind == kindFragment {
			docs = append(docs, d)
		}
	}
	s.mu.Unlock()
	scopes := make([]scope, len(docs))
	for i, d := range docs {
		scopes[i] = s.ws.ScopeOf(d.path)
	}
	s.mu.Lock()
	moved := false
	for i, d := range docs {
		if !d.closed && d.scope != scopes[i] {
			d.scope = scopes[i]
			d.changed()
			s.scheduleLocked(d, 0)
			moved = true
		}
	}
	// only if something moved: the poller (clients without watchers) calls this every tick,
	// and checking every chart and overlay again each time would never let a slow one finish
	if moved {
		s.reassembleLocked(nil)
	}
	s.mu.Unlock()
}
