package lsp

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/kube-policy-ls/kube-policy-ls/analysis/kustomize"
	"github.com/kube-policy-ls/kube-policy-ls/internal/kustomizetest"
	"github.com/kube-policy-ls/kube-policy-ls/internal/testtree"
)

// outsideFolders are the workspaces a file outside every folder is opened in: none at all
// (a client that sends no folder, an editor opened on one file), and an unrelated folder.
func outsideFolders(t *testing.T) map[string]string {
	unrelated := testtree.Write(t, t.TempDir(), map[string]string{"notes/deploy.yaml": overlayBase})
	return map[string]string{"no folder": "", "unrelated folder": unrelated}
}

// indexScans returns what the overlay index walked in its latest discovery and the
// directories it walks for the open documents outside every folder.
func indexScans(s *session) (scanned, near []string) {
	x := &s.srv.overlays
	x.mu.Lock()
	scanned = slices.Clone(x.scanned)
	x.mu.Unlock()
	for _, n := range x.nearby() {
		near = append(near, n.Scan)
	}
	return scanned, near
}

func closeDocument(s *session, u uri.URI) {
	s.t.Helper()
	if err := s.server.DidClose(s.ctx(), &protocol.DidCloseTextDocumentParams{TextDocument: protocol.TextDocumentIdentifier{URI: u}}); err != nil {
		s.t.Fatal(err)
	}
	s.barrier()
}

// TestOverlayOutsideFolders: a patch opened outside every workspace folder gets its
// overlay's finding on the patch line, named relative to the overlays' directory, with the
// fix in the patch, and is not checked as a manifest; a base opened then has the overlays'
// findings merged as in a folder; closing both drops the directories walked for them.
func TestOverlayOutsideFolders(t *testing.T) {
	t.Parallel()
	for name, folder := range outsideFolders(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			root := testtree.Write(t, t.TempDir(), twoOverlays())
			base, patch := filepath.Join(root, "base", "deploy.yaml"), filepath.Join(root, "overlays", "a", "privileged.yaml")
			bu, pu := uri.File(base), uri.File(patch)
			s := overlaySession(t, sessionOptions{root: folder, caps: vscodeCaps})
			var folders []string
			if folder != "" {
				folders = []string{folder}
			}

			s.open(pu, "yaml", kustomizetest.PrivilegedPatch)
			d := s.waitDiagnostics(pu, "the overlay's finding on the patch", func(d []protocol.Diagnostic) bool { return hasCodeAt(d, "privileged-container", 10) })
			for _, g := range d {
				if !strings.HasSuffix(messageOf(g), " (in overlay a/)") {
					t.Errorf("patch diagnostic %s %q: want only overlay a/'s findings", g.Code, messageOf(g))
				}
			}
			pd := findAt(t, d, "privileged-container", 10)
			v := int32(1)
			fixed := applyWorkspaceEdit(t, kustomizetest.PrivilegedPatch, pu, actionNamed(t, s.codeActions(pu, pd.Range, []protocol.Diagnostic{pd}), "Fix privileged-container in privileged.yaml").Edit, &v)
			if !strings.Contains(fixed, "privileged: false") {
				t.Errorf("fixed patch:\n%s", fixed)
			}
			if scanned, near := indexScans(s); !slices.Equal(near, []string{filepath.Join(root, "overlays")}) || !slices.Equal(scanned, append(folders, near...)) {
				t.Errorf("walked %v, near %v: want the folders and the patch's overlays/", scanned, near)
			}

			s.open(bu, "yaml", overlayBase)
			const all = "(in overlays base/, overlays/a/, overlays/b/)"
			d = s.waitDiagnostics(bu, "the base's finding naming every overlay", func(d []protocol.Diagnostic) bool {
				return hasCodeAt(d, "host-network", 12) && strings.Contains(messageOf(findAt(t, d, "host-network", 12)), all)
			})
			if n := count(d, "host-network"); n != 1 || hasCode(d, "privileged-container") {
				t.Errorf("base diagnostics %v: want host-network once, no patch finding", codes(d))
			}

			closeDocument(s, pu)
			if _, near := indexScans(s); !slices.Equal(near, []string{root}) {
				t.Errorf("after closing the patch, near %v: want the base's alone", near)
			}
			closeDocument(s, bu)
			if roots, _ := s.srv.overlays.of(s.srv, base); len(roots) != 0 {
				t.Errorf("the base's overlays after it closed: %v", roots)
			}
			if scanned, near := indexScans(s); len(near) != 0 || !slices.Equal(scanned, folders) {
				t.Errorf("after closing both: walked %v, near %v; want the folders alone", scanned, near)
			}
		})
	}
}

// TestOverlayOutsideNoKustomization: a file outside every folder with no kustomization at or
// above it is a plain manifest, and nothing around it is walked, even with overlays beside
// its directory.
func TestOverlayOutsideNoKustomization(t *testing.T) {
	t.Parallel()
	for name, folder := range outsideFolders(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			files := twoOverlays()
			files["loose/privileged.yaml"] = kustomizetest.PrivilegedPatch
			root := testtree.Write(t, t.TempDir(), files)
			lu := uri.File(filepath.Join(root, "loose", "privileged.yaml"))
			s := overlaySession(t, sessionOptions{root: folder})
			s.open(lu, "yaml", kustomizetest.PrivilegedPatch)
			d := s.diagnosticsAt(lu, 1)
			if !hasCodeAt(d, "privileged-container", 10) {
				t.Errorf("loose file: %v, want its own check", codes(d))
			}
			for _, g := range d {
				if strings.Contains(messageOf(g), "overlay") {
					t.Errorf("loose file diagnostic names an overlay: %q", messageOf(g))
				}
			}
			var folders []string
			if folder != "" {
				folders = []string{folder}
			}
			if scanned, near := indexScans(s); len(near) != 0 || !slices.Equal(scanned, folders) {
				t.Errorf("walked %v, near %v: want the folders alone", scanned, near)
			}
			s.srv.mu.Lock()
			kind, n := s.srv.docs[lu].kind, len(s.srv.assemblies)
			s.srv.mu.Unlock()
			if kind != kindManifest || n != 0 {
				t.Errorf("loose file of kind %d with %d assemblies: want a manifest, none", kind, n)
			}
		})
	}
}

// TestOverlayOutsideThenInFolder: a patch opened outside every folder, whose tree then
// becomes a workspace folder, is no longer walked for on its own: its overlay is found in the
// folder and named relative to it.
func TestOverlayOutsideThenInFolder(t *testing.T) {
	t.Parallel()
	root := testtree.Write(t, t.TempDir(), twoOverlays())
	pu := uri.File(filepath.Join(root, "overlays", "a", "privileged.yaml"))
	s := overlaySession(t, sessionOptions{})
	s.open(pu, "yaml", kustomizetest.PrivilegedPatch)
	s.waitDiagnostics(pu, "the overlay's finding, named near the patch", func(d []protocol.Diagnostic) bool {
		return hasCodeAt(d, "privileged-container", 10) && strings.HasSuffix(messageOf(findAt(t, d, "privileged-container", 10)), " (in overlay a/)")
	})
	s.notify(protocol.MethodWorkspaceDidChangeWorkspaceFolders, &protocol.DidChangeWorkspaceFoldersParams{Event: protocol.WorkspaceFoldersChangeEvent{
		Added: []protocol.WorkspaceFolder{{URI: uri.File(root), Name: "root"}},
	}})
	s.waitDiagnostics(pu, "the overlay's finding, named in the folder", func(d []protocol.Diagnostic) bool {
		return hasCodeAt(d, "privileged-container", 10) && strings.HasSuffix(messageOf(findAt(t, d, "privileged-container", 10)), " (in overlay overlays/a/)")
	})
	s.client.waitFor(t, "the folders changed", func() bool {
		return slices.ContainsFunc(s.client.logs, func(m string) bool { return strings.HasPrefix(m, "workspace folders: ") })
	})
	if _, near := indexScans(s); len(near) != 0 {
		t.Errorf("the patch, in the folder now, still walked for on its own: %v", near)
	}
	if roots, fragment := s.srv.overlays.of(s.srv, filepath.Join(root, "overlays", "a", "privileged.yaml")); !fragment || !slices.Equal(roots, []string{filepath.Join(root, "overlays", "a")}) {
		t.Errorf("the patch's overlays in the folder: %v (fragment %v)", roots, fragment)
	}
	if scanned, _ := indexScans(s); !slices.Equal(scanned, []string{root}) {
		t.Errorf("walked %v, want the folder alone", scanned)
	}
}

// TestOverlayOutsideWalkCut: a patch whose overlay sits among more directories than the walk
// may visit still gets its overlay's finding (the overlay's own tree is walked first), and
// the cut is logged.
func TestOverlayOutsideWalkCut(t *testing.T) {
	t.Parallel()
	files := twoOverlays()
	for i := range kustomize.NearbyMaxDirs {
		files[fmt.Sprintf("overlays/0-filler/%04d/x", i)] = ""
	}
	root := testtree.Write(t, t.TempDir(), files)
	pu := uri.File(filepath.Join(root, "overlays", "a", "privileged.yaml"))
	s := overlaySession(t, sessionOptions{})
	s.open(pu, "yaml", kustomizetest.PrivilegedPatch)
	s.waitDiagnostics(pu, "the overlay's finding on the patch", func(d []protocol.Diagnostic) bool {
		return hasCodeAt(d, "privileged-container", 10) && strings.HasSuffix(messageOf(findAt(t, d, "privileged-container", 10)), " (in overlay a/)")
	})
	if !s.logged("the walk stopped at its directory limit") {
		t.Error("the cut walk was not logged")
	}
}

// TestOverlayOutsideOff: the configuration above a file outside every folder holds for the
// overlays near it: with kustomize: false the patch is a manifest and no overlay is built.
func TestOverlayOutsideOff(t *testing.T) {
	t.Parallel()
	files := twoOverlays()
	files[".kube-policy.yaml"] = "kustomize: false\n"
	root := testtree.Write(t, t.TempDir(), files)
	pu := uri.File(filepath.Join(root, "overlays", "a", "privileged.yaml"))
	s := overlaySession(t, sessionOptions{})
	s.open(pu, "yaml", kustomizetest.PrivilegedPatch)
	d := s.diagnosticsAt(pu, 1)
	if !hasCodeAt(d, "privileged-container", 10) || strings.Contains(messageOf(findAt(t, d, "privileged-container", 10)), "overlay") {
		t.Errorf("patch with kustomize: false: %v, want it checked as a manifest", codes(d))
	}
	if roots, _ := s.srv.overlays.of(s.srv, filepath.Join(root, "overlays", "a", "privileged.yaml")); len(roots) != 0 {
		t.Errorf("overlays with kustomize: false: %v", roots)
	}
}

// TestOverlayIndexForgetDoesNotWait: forget is called under Server.mu (a configuration
// change), while a discovery may hold the index waiting for an engine build whose hook takes
// Server.mu. So forget must not wait for the index: if it did, this test would hang. A
// discovery under way when forget is called is not trusted: the next question walks again.
func TestOverlayIndexForgetDoesNotWait(t *testing.T) {
	t.Parallel()
	root := testtree.Write(t, t.TempDir(), twoOverlays())
	s := overlaySession(t, sessionOptions{root: root, caps: vscodeCaps})
	x := &s.srv.overlays
	base := filepath.Join(root, "base", "deploy.yaml")
	want, _ := x.of(s.srv, base) // the base itself and overlays a and b
	if len(want) != 3 {
		t.Fatalf("the base is read by %v, want itself and two overlays", want)
	}
	x.mu.Lock() // as a discovery holds it
	x.forget()
	walked := x.files
	x.mu.Unlock()
	if roots, _ := x.of(s.srv, base); !slices.Equal(roots, want) {
		t.Fatalf("after forget, the base is read by %v, want %v", roots, want)
	}
	x.mu.Lock()
	again := x.files
	x.mu.Unlock()
	if fmt.Sprintf("%p", again) == fmt.Sprintf("%p", walked) {
		t.Error("the overlays were not found again after forget")
	}
}
