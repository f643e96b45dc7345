package lsp

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"go.lsp.dev/protocol"
)

// Workspace folders come with initialize and change with workspace/didChangeWorkspaceFolders.
// Each folder has its own configuration (the .kube-policy.yaml files inside it, looked up no
// further up than the folder) and its own engines, and the editor settings' relative paths
// are taken from the folder of each document.

func (r router) DidChangeWorkspaceFolders(_ context.Context, p *protocol.DidChangeWorkspaceFoldersParams) error {
	r.s.didChangeWorkspaceFolders(p)
	return nil
}

func (s *Server) didChangeWorkspaceFolders(p *protocol.DidChangeWorkspaceFoldersParams) {
	var added, removed []string
	for _, f := range p.Event.Removed {
		if path := uriPath(f.URI); path != "" {
			removed = append(removed, path)
		}
	}
	for _, f := range p.Event.Added {
		if path := uriPath(f.URI); path != "" {
			added = append(added, path)
		}
	}
	s.mu.Lock()
	roots := slices.DeleteFunc(s.ws.Folders(), func(r string) bool { return slices.Contains(removed, r) })
	for _, r := range added {
		if !slices.Contains(roots, r) {
			roots = append(roots, r)
		}
	}
	s.ws.SetFolders(roots)
	s.mu.Unlock()
	s.goSafe("workspace folders", func() { s.rootsChanged(added, removed, roots) })
}

// rootsChanged moves the documents to the scopes of the current folders, forgets the engines
// of the removed folders, rebuilds those that depend on the first folder (documents outside
// every folder), and builds the engines of the new folders at once.
func (s *Server) rootsChanged(added, removed, roots []string) {
	s.rescopeDocuments()
	s.renear()          // a document may have entered a folder, or left every one
	s.overlays.forget() // the overlays are found in the folders
	s.rejoinOverlays()
	fresh := make([]scope, len(added))
	for i, r := range added {
		fresh[i] = s.ws.ScopeOfDir(r)
	}
	s.mu.Lock()
	folders := s.ws.Folders()
	dropped := s.ws.Forget(func(sc scope) bool { return sc.Folder != "" && !slices.Contains(folders, sc.Folder) })
	s.reanalyseLocked(s.ws.Reload(func(sc scope) bool { return sc.Folder == "" }))
	for _, sc := range fresh {
		if slices.Contains(folders, sc.Folder) {
			s.ws.Prepare(sc)
		}
	}
	s.mu.Unlock()
	s.forgetPolicyProblems(dropped)
	s.updateWatchers()
	s.refreshPulledDiagnostics()
	s.logToClient(protocol.MessageTypeInfo, fmt.Sprintf("workspace folders: %s (added %s, removed %s)",
		strings.Join(roots, ", "), strings.Join(added, ", "), strings.Join(removed, ", ")))
}
