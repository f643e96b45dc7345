package lsp

import (
	"cmp"
	"os"
	"slices"
	"strings"

	"github.com/kube-policy-ls/kube-policy-ls/analysis/kustomize"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/workspace"
)

// A document outside every workspace folder (a file opened alone, or from another
// repository than the workspace's) has no folder whose overlays could read it: the overlays
// near it are looked for instead (kustomize.Nearby), for as long as it is open. Each such
// document adds its directory to those the overlay index walks; the index is found again
// when one is added or the last document that needed one closes.

// nearbyOf returns where the overlays of the open document at path are looked for besides
// the workspace folders: near it when it is outside every folder, else nowhere (the zero
// Nearby). It looks at the file system: call it without Server.mu.
func (s *Server) nearbyOf(path string) kustomize.Nearby {
	if path == "" || workspace.FolderOf(s.ws.Folders(), path) != "" {
		return kustomize.Nearby{}
	}
	home, _ := os.UserHomeDir() // none: only the file system's root is kept from the walk
	return kustomize.NearbyOf(path, home)
}

// setNear records where the overlays of the open document at path are looked for (the zero
// Nearby: nowhere, or it closed). It reports whether that adds or drops a directory to walk:
// the caller then makes the index be found again (forget, without Server.mu) and the open
// documents rejoin their overlays (rejoinOverlays). It takes only nearMu.
func (x *overlayIndex) setNear(path string, n kustomize.Nearby) bool {
	x.nearMu.Lock()
	defer x.nearMu.Unlock()
	old := x.near[path]
	if old == n {
		return false
	}
	if n == (kustomize.Nearby{}) {
		delete(x.near, path)
	} else {
		if x.near == nil {
			x.near = map[string]kustomize.Nearby{}
		}
		x.near[path] = n
	}
	dropped := old != (kustomize.Nearby{}) && x.usersLocked(old) == 0
	added := n != (kustomize.Nearby{}) && x.usersLocked(n) == 1
	return dropped || added
}

// usersLocked counts the documents that need n walked. Called with nearMu held.
func (x *overlayIndex) usersLocked(n kustomize.Nearby) int {
	c := 0
	for _, v := range x.near {
		if v == n {
			c++
		}
	}
	return c
}

// nearby returns the directories to walk for the open documents outside every folder, each
// once, in order.
func (x *overlayIndex) nearby() []kustomize.Nearby {
	x.nearMu.Lock()
	defer x.nearMu.Unlock()
	var out []kustomize.Nearby
	for _, n := range x.near {
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	slices.SortFunc(out, func(a, b kustomize.Nearby) int {
		return cmp.Or(strings.Compare(a.Scan, b.Scan), strings.Compare(a.Dir, b.Dir))
	})
	return out
}

// scanOf returns the outermost directory walked for the open documents outside every folder
// that holds root, "" for none: what the overlay is named relative to.
func (x *overlayIndex) scanOf(root string) string {
	best := ""
	for _, n := range x.nearby() {
		if workspace.Within(n.Scan, root) && (best == "" || len(n.Scan) < len(best)) {
			best = n.Scan
		}
	}
	return best
}

// renear records again, for every open document, where its overlays are looked for: the
// workspace folders changed, and a document may now be in one, or outside every one. The
// caller finds the overlays again.
func (s *Server) renear() {
	s.mu.Lock()
	var docs []*document
	for _, d := range s.docs {
		if d.path != "" && d.assembly == nil && (d.kind == kindManifest || d.kind == kindFragment) {
			docs = append(docs, d)
		}
	}
	s.mu.Unlock()
	near := make([]kustomize.Nearby, len(docs))
	for i, d := range docs { // d.path never changes
		near[i] = s.nearbyOf(d.path)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, d := range docs {
		if !d.closed { // a document closed meanwhile has dropped its own
			s.overlays.setNear(d.path, near[i])
		}
	}
}
