package lsp

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
	"github.com/kube-policy-ls/kube-policy-ls/internal/kustomizetest"
	"github.com/kube-policy-ls/kube-policy-ls/internal/testtree"
)

// createCaps: versioned documentChanges with the create operation.
var createCaps = protocol.ClientCapabilities{Workspace: &protocol.WorkspaceClientCapabilities{
	ApplyEdit: ptr(true),
	WorkspaceEdit: &protocol.WorkspaceEditClientCapabilities{
		DocumentChanges: ptr(true), ResourceOperations: []protocol.ResourceOperationKind{protocol.ResourceOperationKindCreate},
	},
}}

// TestOverlayPatchAction: the base's finding, built by base/, overlays/a/ and overlays/b/, is
// offered for overlay a its fix as a new patch there (none for base/, which holds the file:
// the base's own fix is for it). The edit creates the patch and lists it in a's
// kustomization; with both in place, a no longer builds the finding and the others still do.
// A client that cannot create files is offered none.
func TestOverlayPatchAction(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	testtree.Write(t, root, twoOverlays())
	bu := uri.File(filepath.Join(root, "base", "deploy.yaml"))
	kfile := filepath.Join(root, "overlays", "a", "kustomization.yaml")
	patch := filepath.Join(root, "overlays", "a", "kube-policy-ls-deployment-host-network.yaml")
	s := overlaySession(t, sessionOptions{root: root, caps: createCaps})
	s.open(bu, "yaml", overlayBase)
	// Every overlay's check must have merged in: the action needs two that build the finding.
	bd := s.waitDiagnostics(bu, "the base's finding naming every overlay", func(d []protocol.Diagnostic) bool {
		return hasCodeAt(d, "host-network", 12) && strings.HasSuffix(messageOf(findAt(t, d, "host-network", 12)), "(in overlays base/, overlays/a/, overlays/b/)")
	})
	hd := findAt(t, bd, "host-network", 12)
	actions := s.codeActions(bu, hd.Range, []protocol.Diagnostic{hd})
	a := actionNamed(t, actions, "Fix host-network in overlay overlays/a/ only (new patch kube-policy-ls-deployment-host-network.yaml)")
	for _, x := range actions {
		if strings.Contains(x.Title, "overlay base/") {
			t.Errorf("a patch offered for the overlay that holds the base: %q", x.Title)
		}
	}
	if len(a.Diagnostics) != 1 || a.Diagnostics[0].Range != hd.Range {
		t.Errorf("the action is for %+v", a.Diagnostics)
	}
	if got := s.srv.overlayPatchActions(&protocol.CodeActionParams{TextDocument: protocol.TextDocumentIdentifier{URI: bu}, Range: hd.Range}, vscodeCaps); len(got) != 0 {
		t.Errorf("offered to a client that cannot create files: %q", actionTitles(got))
	}
	dc := a.Edit.DocumentChanges
	if len(dc) != 3 {
		t.Fatalf("document changes: %#v", dc)
	}
	if c, ok := dc[0].(*protocol.CreateFile); !ok || c.Kind != "create" || c.URI != uri.File(patch) {
		t.Fatalf("first change: %#v", dc[0])
	}
	written := applyWorkspaceEdit(t, "", uri.File(patch), &protocol.WorkspaceEdit{DocumentChanges: dc[1:2]}, nil)
	if !strings.Contains(written, "hostNetwork: null") || !strings.Contains(written, "name: web") {
		t.Errorf("new patch:\n%s", written)
	}
	old, err := os.ReadFile(kfile)
	if err != nil {
		t.Fatal(err)
	}
	listed := applyWorkspaceEdit(t, string(old), uri.File(kfile), &protocol.WorkspaceEdit{DocumentChanges: dc[2:]}, nil)
	if want := string(old) + "- path: " + filepath.Base(patch) + "\n"; listed != want {
		t.Errorf("kustomization:\n%s\nwant:\n%s", listed, want)
	}

	// as the client applies it: the file created on disk, the kustomization edited, unsaved
	if err := os.WriteFile(patch, []byte(written), 0o644); err != nil {
		t.Fatal(err)
	}
	s.open(uri.File(kfile), "yaml", listed)
	s.waitDiagnostics(bu, "overlay a without the finding", func(d []protocol.Diagnostic) bool {
		return hasCodeAt(d, "host-network", 12) && strings.HasSuffix(messageOf(findAt(t, d, "host-network", 12)), "(in overlays base/, overlays/b/)")
	})
}

// TestOverlaySuppressCommentOnTransformer: a finding an images entry sets (a floating tag) is
// placed on that entry in the open kustomization; it is offered a suppression comment above
// the entry, and once the reason is typed in the overlay reports it no more.
func TestOverlaySuppressCommentOnTransformer(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	files := kustomizetest.Base(kustomizetest.Deployment)
	kust := "resources:\n- ../base\nimages:\n- name: nginx\n  newTag: latest\n"
	files["prod/kustomization.yaml"] = kust
	testtree.Write(t, root, files)
	ku := uri.File(filepath.Join(root, "prod", "kustomization.yaml"))
	s := overlaySession(t, sessionOptions{root: root, initOpts: map[string]any{"debounceMs": 0, "profile": "recommended"}})
	s.open(ku, "yaml", kust)
	d := s.waitDiagnostics(ku, "the floating tag on its images entry", func(d []protocol.Diagnostic) bool { return hasCodeAt(d, "image-latest-tag", 4) })
	tag := findAt(t, d, "image-latest-tag", 4)
	v := int32(1)
	a := actionNamed(t, s.codeActions(ku, tag.Range, []protocol.Diagnostic{tag}), "Suppress image-latest-tag with a comment in kustomization.yaml")
	commented := applyWorkspaceEdit(t, kust, ku, a.Edit, &v)
	if want := "- name: nginx\n  # kube-policy-ls ignore image-latest-tag -- " + analysis.SuppressPlaceholder + "\n  newTag: latest\n"; !strings.Contains(commented, want) {
		t.Fatalf("commented:\n%s\nwant it to hold:\n%s", commented, want)
	}
	s.change(ku, 2, whole(strings.Replace(commented, analysis.SuppressPlaceholder, "the release job pins it", 1)))
	s.waitDiagnostics(ku, "the suppressed finding gone", func(d []protocol.Diagnostic) bool { return !hasCode(d, "image-latest-tag") })
}
