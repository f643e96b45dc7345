package lsp

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/kustomize"
	"github.com/kube-policy-ls/kube-policy-ls/internal/kustomizetest"
	"github.com/kube-policy-ls/kube-policy-ls/internal/shareddata"
	"github.com/kube-policy-ls/kube-policy-ls/internal/testtree"
)

// overlayBase is a Deployment whose pod is on the host's network (line 13), a finding of the
// base itself and of every overlay that builds it.
const overlayBase = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      hostNetwork: true
      containers:
      - name: app
        image: nginx:1.25
`

// twoOverlays is a base (overlayBase) and overlays a/ (with kustomizetest.PrivilegedPatch)
// and b/ (with a resource entry on line 3 whose file is missing).
func twoOverlays() map[string]string {
	files := kustomizetest.Base(overlayBase)
	kustomizetest.AddPrivilegedOverlay(files, "overlays/a")
	files["overlays/b/kustomization.yaml"] = "resources:\n- ../../base\n- missing.yaml\n"
	return files
}

// overlaySession is a session on root whose overlays are never slow, however loaded the
// machine: the tests of typing need every overlay checked again at each change.
func overlaySession(t *testing.T, opts sessionOptions) *session {
	s := newSession(t, opts)
	s.srv.mu.Lock()
	s.srv.overlayBudget = time.Hour
	s.srv.mu.Unlock()
	return s
}

func count(diags []protocol.Diagnostic, code string) int {
	n := 0
	for _, d := range diags {
		if d.Code == protocol.String(code) {
			n++
		}
	}
	return n
}

// TestOverlayDiagnostics: the patch of overlay a gets its finding on the patch line, naming
// a; the base's own finding is reported once, naming both overlays; the patch file is not
// checked as a manifest; typing the fix into the patch (unsaved) clears it; overlay b's
// missing resource is a kustomize-build diagnostic on its entry.
func TestOverlayDiagnostics(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	testtree.Write(t, root, twoOverlays())
	base, patch := filepath.Join(root, "base", "deploy.yaml"), filepath.Join(root, "overlays", "a", "privileged.yaml")
	bu, pu := uri.File(base), uri.File(patch)
	ku := uri.File(filepath.Join(root, "overlays", "b", "kustomization.yaml"))
	s := overlaySession(t, sessionOptions{root: root})
	s.open(bu, "yaml", overlayBase)

	// base/ is an overlay too (check builds it): the finding is built by all three
	const all = "(in overlays base/, overlays/a/, overlays/b/)"
	d := s.waitDiagnostics(bu, "the base's finding naming every overlay", func(d []protocol.Diagnostic) bool {
		return hasCodeAt(d, "host-network", 12) && strings.Contains(messageOf(findAt(t, d, "host-network", 12)), all)
	})
	if n := count(d, "host-network"); n != 1 {
		t.Errorf("host-network reported %d times on the base: %v", n, codes(d))
	}
	if hasCode(d, "privileged-container") {
		t.Errorf("the patch's finding is on the base: %v", codes(d))
	}

	d = s.waitDiagnostics(pu, "the patch's finding (not open)", func(d []protocol.Diagnostic) bool { return hasCodeAt(d, "privileged-container", 10) })
	if msg := messageOf(findAt(t, d, "privileged-container", 10)); !strings.Contains(msg, "(in overlay overlays/a/)") {
		t.Errorf("patch finding says %q", msg)
	}
	k := s.waitDiagnostics(ku, "the missing resource", func(d []protocol.Diagnostic) bool { return hasCodeAt(d, "kustomize-build", 2) })
	if msg := messageOf(findAt(t, k, "kustomize-build", 2)); !strings.Contains(msg, "missing.yaml") {
		t.Errorf("kustomize-build says %q", msg)
	}

	s.open(pu, "yaml", kustomizetest.PrivilegedPatch)
	d = s.diagnosticsAt(pu, 1)
	if !hasCodeAt(d, "privileged-container", 10) {
		t.Errorf("open patch: %v", codes(d))
	}
	for _, g := range d { // the securityContext the patch creates lacks fields: overlay a's too
		if !strings.Contains(messageOf(g), "(in overlay overlays/a/)") {
			t.Errorf("open patch checked as a manifest: %s %q", g.Code, messageOf(g))
		}
	}
	s.change(pu, 2, partial(10, 22, 10, 26, "false"))
	s.waitDiagnostics(pu, "the unsaved fix checked", func(d []protocol.Diagnostic) bool {
		return !hasCode(d, "privileged-container")
	})
	if got := s.documentText(pu); !strings.Contains(got, "privileged: false") {
		t.Fatalf("edit not applied: %q", got)
	}
	d = s.waitDiagnostics(bu, "the base unchanged", func(d []protocol.Diagnostic) bool { return hasCodeAt(d, "host-network", 12) })
	if n := count(d, "host-network"); n != 1 {
		t.Errorf("host-network reported %d times on the base: %v", n, codes(d))
	}
}

// TestOverlayNamedAtFolder: an overlay that is the workspace folder itself is named by its
// directory, not "./".
func TestOverlayNamedAtFolder(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	testtree.Write(t, root, twoOverlays())
	folder := filepath.Join(root, "overlays", "a")
	pu := uri.File(filepath.Join(folder, "privileged.yaml"))
	s := overlaySession(t, sessionOptions{root: folder})
	s.open(pu, "yaml", kustomizetest.PrivilegedPatch)
	d := s.waitDiagnostics(pu, "the patch's finding", func(d []protocol.Diagnostic) bool { return hasCodeAt(d, "privileged-container", 10) })
	if msg := messageOf(findAt(t, d, "privileged-container", 10)); !strings.HasSuffix(msg, " (in overlay a/)") {
		t.Errorf("patch finding says %q", msg)
	}
}

// TestOverlaySlowOnSaveOnly: an overlay that counts as slow is not checked again while the
// patch is typed in, only when it is saved; the file's own diagnostics are published at each
// version meanwhile.
func TestOverlaySlowOnSaveOnly(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	testtree.Write(t, root, twoOverlays())
	patch := filepath.Join(root, "overlays", "a", "privileged.yaml")
	pu := uri.File(patch)
	s := newSession(t, sessionOptions{root: root})
	s.srv.mu.Lock()
	s.srv.overlayBudget = 0 // every overlay took longer than that
	s.srv.mu.Unlock()
	oa := filepath.Join(root, "overlays", "a")
	s.open(pu, "yaml", kustomizetest.PrivilegedPatch)
	s.waitDiagnostics(pu, "the first check", func(d []protocol.Diagnostic) bool { return hasCodeAt(d, "privileged-container", 10) })
	// the first check is cold: it alone does not make the overlay slow
	s.change(pu, 2, whole(kustomizetest.PrivilegedPatch+"# a comment\n"))
	for deadline := time.Now().Add(waitTimeout); s.assemblyStats(oa).Published < 2; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v: no second check", s.assemblyStats(oa))
		}
	}
	started := s.assemblyStats(oa).Started

	fixed := strings.Replace(kustomizetest.PrivilegedPatch, "privileged: true", "privileged: false", 1)
	s.change(pu, 3, whole(fixed))
	s.barrier()
	if _, err := s.srv.snapshot(s.ctx(), pu); err != nil { // its own check of version 2 is done
		t.Fatal(err)
	}
	s.srv.mu.Lock()
	d := s.srv.withOverlaysLocked(patch, nil)
	s.srv.mu.Unlock()
	if got := s.assemblyStats(oa).Started; got != started {
		t.Errorf("the slow overlay was checked %d more times while typing", got-started)
	}
	if !hasCodeAt(d, "privileged-container", 10) {
		t.Errorf("version 3 before the save: %v, want the overlay's last findings kept", codes(d))
	}

	if err := s.server.DidSave(s.ctx(), &protocol.DidSaveTextDocumentParams{TextDocument: protocol.TextDocumentIdentifier{URI: pu}}); err != nil {
		t.Fatal(err)
	}
	s.waitDiagnostics(pu, "the save checked the overlay", func(d []protocol.Diagnostic) bool { return !hasCode(d, "privileged-container") })
	if got := s.assemblyStats(oa).Started; got != started+1 {
		t.Errorf("checks after the save: %d, want %d", got, started+1)
	}
}

// TestOverlayOff: kustomize: false in the configuration leaves overlays unbuilt: the base is
// checked alone and the patch is a manifest like any other.
func TestOverlayOff(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	files := twoOverlays()
	files[".kube-policy.yaml"] = "kustomize: false\n"
	testtree.Write(t, root, files)
	bu, pu := uri.File(filepath.Join(root, "base", "deploy.yaml")), uri.File(filepath.Join(root, "overlays", "a", "privileged.yaml"))
	s := newSession(t, sessionOptions{root: root})
	s.open(bu, "yaml", overlayBase)
	s.open(pu, "yaml", kustomizetest.PrivilegedPatch)
	d := s.diagnosticsAt(bu, 1)
	if msg := messageOf(findAt(t, d, "host-network", 12)); strings.Contains(msg, "overlay") {
		t.Errorf("base finding names overlays: %q", msg)
	}
	d = s.diagnosticsAt(pu, 1)
	if !hasCodeAt(d, "privileged-container", 10) || strings.Contains(messageOf(findAt(t, d, "privileged-container", 10)), "overlay") {
		t.Errorf("patch checked as a manifest: %v", codes(d))
	}
	s.srv.mu.Lock()
	n := len(s.srv.assemblies)
	s.srv.mu.Unlock()
	if n != 0 {
		t.Errorf("%d assemblies with kustomize: false", n)
	}
}

// TestOverlaySharedDemo: a base file of the shared microservices-demo, opened, has the
// diagnostics `check` reports for it: its own findings, once per (line, rule), each naming
// the overlays that build it (kustomize.Join over every overlay root, as check merges them).
func TestOverlaySharedDemo(t *testing.T) {
	t.Parallel()
	demo := filepath.Join(shareddata.Path(t, "kustomize/microservices-demo"), "kustomize", "microservices-demo")
	file := filepath.Join(demo, "base", "cartservice.yaml")
	text := readText(t, file)
	ctx := context.Background()
	e, err := analysis.NewEngine(ctx, analysis.Config{})
	if err != nil {
		t.Fatal(err)
	}
	own, err := e.Analyze(ctx, analysis.Input{Path: file, Text: text}, nil)
	if err != nil {
		t.Fatal(err)
	}
	places := map[kustomize.Place]bool{}
	kustomize.OwnPlaces(file, own, places)
	roots, err := kustomize.Roots(demo, nil)
	if err != nil {
		t.Fatal(err)
	}
	var placed []kustomize.Finding
	var overlays []*kustomize.Overlay
	for _, root := range roots {
		b, err := kustomize.Build(ctx, root, kustomize.Options{})
		if err != nil {
			t.Fatal(err)
		}
		c, err := b.Check(ctx, e, nil)
		if err != nil {
			t.Fatal(err)
		}
		placed, overlays = append(placed, c.Findings...), append(overlays, b.Overlay)
	}
	rest, named := kustomize.Join(placed, places, overlays)
	want := map[string]string{} // "line rule" -> the overlays named
	for _, f := range own.Findings {
		p := kustomize.Place{File: file, Line: own.Mapper.LineOf(f.Range.Start) + 1, Rule: f.Rule}
		var names []string
		for _, r := range named[p] {
			rel, _ := filepath.Rel(demo, r)
			if rel == "." { // the folder itself is named by its directory
				rel = filepath.Base(demo)
			}
			names = append(names, filepath.ToSlash(rel)+"/")
		}
		want[fmt.Sprintf("%d %s", p.Line, p.Rule)] = strings.Join(names, ", ")
	}
	for _, f := range rest {
		if f.At.File == file {
			t.Fatalf("check reports an overlay-only finding on the base: %s:%d %s", f.At.File, f.At.Line, f.Rule)
		}
	}
	if len(want) == 0 {
		t.Fatal("the base file has no findings to compare")
	}

	s := newSession(t, sessionOptions{root: demo})
	u := uri.File(file)
	s.open(u, "yaml", text)
	got := map[string]string{}
	t.Cleanup(func() {
		if t.Failed() {
			s.srv.mu.Lock()
			for root, a := range s.srv.assemblies {
				o, _ := a.outcome.(*overlayOutcome)
				n := -1
				if o != nil {
					n = len(o.findings)
				}
				t.Logf("%s: %+v done %v findings %d", root, a.stats, a.done, n)
			}
			s.srv.mu.Unlock()
			t.Logf("got %v\nwant %v\nlogged: %v", got, want, s.logs.FilterMessage("checking an assembly failed").All())
		}
	})
	s.waitDiagnostics(u, "the base file's diagnostics with every overlay named", func(d []protocol.Diagnostic) bool {
		clear(got)
		for _, g := range d {
			code, _ := g.Code.(protocol.String)
			msg := messageOf(g)
			names := ""
			if i := strings.LastIndex(msg, " (in overlay"); i >= 0 {
				names = strings.TrimSuffix(msg[i+len(" (in overlay"):], ")")
				names = strings.TrimPrefix(strings.TrimPrefix(names, "s"), " ")
			}
			got[fmt.Sprintf("%d %s", g.Range.Start.Line+1, code)] += names
		}
		return maps.Equal(got, want)
	})
}

// TestOverlayActions: on the patch, the overlay's finding gets its fix in the patch (applied
// unsaved, the finding goes) and a suppression annotation in the patch (typed in with a
// reason, the finding goes too); hover names the overlay. On the base, the finding its own
// check has gets the manifest's quick fix, in the base.
func TestOverlayActions(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	testtree.Write(t, root, twoOverlays())
	base, patch := filepath.Join(root, "base", "deploy.yaml"), filepath.Join(root, "overlays", "a", "privileged.yaml")
	bu, pu := uri.File(base), uri.File(patch)
	s := overlaySession(t, sessionOptions{root: root, caps: vscodeCaps})
	s.open(pu, "yaml", kustomizetest.PrivilegedPatch)
	d := s.waitDiagnostics(pu, "the patch's finding", func(d []protocol.Diagnostic) bool { return hasCodeAt(d, "privileged-container", 10) })
	pd := findAt(t, d, "privileged-container", 10)

	h := s.hoverAt(pu, 10, 12)
	if h == nil || !strings.Contains(h.Contents.(*protocol.MarkupContent).Value, "built by overlay overlays/a/") {
		t.Errorf("hover on the patch line: %+v", h)
	}
	actions := s.codeActions(pu, pd.Range, []protocol.Diagnostic{pd})
	v := int32(1)
	fixed := applyWorkspaceEdit(t, kustomizetest.PrivilegedPatch, pu, actionNamed(t, actions, "Fix privileged-container in privileged.yaml").Edit, &v)
	if !strings.Contains(fixed, "privileged: false") {
		t.Errorf("fixed patch:\n%s", fixed)
	}
	suppressed := applyWorkspaceEdit(t, kustomizetest.PrivilegedPatch, pu, actionNamed(t, actions, "Suppress privileged-container for Deployment web in privileged.yaml").Edit, &v)
	suppressed = strings.Replace(suppressed, analysis.SuppressPlaceholder, "a debug overlay", 1)
	s.change(pu, 2, whole(suppressed))
	s.waitDiagnostics(pu, "the suppression typed in", func(d []protocol.Diagnostic) bool {
		return !hasCode(d, "privileged-container") && hasCode(d, "allow-privilege-escalation")
	})
	s.change(pu, 3, whole(fixed))
	s.waitDiagnostics(pu, "the fix typed in", func(d []protocol.Diagnostic) bool { return !hasCode(d, "privileged-container") })

	s.open(bu, "yaml", overlayBase)
	bd := s.waitDiagnostics(bu, "the base's finding", func(d []protocol.Diagnostic) bool {
		return hasCodeAt(d, "host-network", 12) && strings.Contains(messageOf(findAt(t, d, "host-network", 12)), "overlays/a/")
	})
	hd := findAt(t, bd, "host-network", 12)
	if a := actionNamed(t, s.codeActions(bu, hd.Range, []protocol.Diagnostic{hd}), "Remove hostNetwork: true"); a.Edit == nil {
		t.Errorf("base quick fix without an edit: %+v", a)
	}
}

// TestOverlayCreatedOnDisk: a kustomization created on disk (a watched file) makes its
// directory an overlay: the open base file's finding then names it, and the patch the
// overlay lists, open before, stops being checked as a manifest.
func TestOverlayCreatedOnDisk(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	testtree.Write(t, root, map[string]string{"app/deploy.yaml": overlayBase, "app/privileged.yaml": kustomizetest.PrivilegedPatch})
	bu, pu := uri.File(filepath.Join(root, "app", "deploy.yaml")), uri.File(filepath.Join(root, "app", "privileged.yaml"))
	s := overlaySession(t, sessionOptions{root: root})
	s.open(bu, "yaml", overlayBase)
	s.open(pu, "yaml", kustomizetest.PrivilegedPatch)
	if msg := messageOf(findAt(t, s.diagnosticsAt(bu, 1), "host-network", 12)); strings.Contains(msg, "overlay") {
		t.Fatalf("before any kustomization: %q", msg)
	}
	if d := s.diagnosticsAt(pu, 1); !hasCode(d, "privileged-container") || strings.Contains(messageOf(findAt(t, d, "privileged-container", 10)), "overlay") {
		t.Fatalf("the patch before: %v", codes(d))
	}
	k := filepath.Join(root, "app", "kustomization.yaml")
	testtree.Write(t, root, map[string]string{"app/kustomization.yaml": "resources:\n- deploy.yaml\npatches:\n- path: privileged.yaml\n"})
	s.notify(protocol.MethodWorkspaceDidChangeWatchedFiles, &protocol.DidChangeWatchedFilesParams{Changes: []protocol.FileEvent{
		{URI: uri.File(k), Type: protocol.FileChangeTypeCreated},
	}})
	s.waitDiagnostics(bu, "the base's finding naming the new overlay", func(d []protocol.Diagnostic) bool {
		return hasCodeAt(d, "host-network", 12) && strings.Contains(messageOf(findAt(t, d, "host-network", 12)), "(in overlay app/)")
	})
	s.waitDiagnostics(pu, "the patch as a patch: only the overlay's findings", func(d []protocol.Diagnostic) bool {
		for _, g := range d {
			if !strings.Contains(messageOf(g), "(in overlay app/)") {
				return false
			}
		}
		return hasCodeAt(d, "privileged-container", 10)
	})
	s.srv.mu.Lock()
	kind := s.srv.docs[pu].kind
	s.srv.mu.Unlock()
	if kind != kindFragment {
		t.Errorf("the patch is of kind %d, want a fragment", kind)
	}
}

// TestOverlayTurnedOff: kustomize: false written into the configuration while a base and a
// patch are open: the base's finding no longer names overlays, the patch is checked as a
// manifest.
func TestOverlayTurnedOff(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	testtree.Write(t, root, twoOverlays())
	bu, pu := uri.File(filepath.Join(root, "base", "deploy.yaml")), uri.File(filepath.Join(root, "overlays", "a", "privileged.yaml"))
	s := overlaySession(t, sessionOptions{root: root})
	s.open(bu, "yaml", overlayBase)
	s.open(pu, "yaml", kustomizetest.PrivilegedPatch)
	s.waitDiagnostics(bu, "the overlays named", func(d []protocol.Diagnostic) bool {
		return hasCodeAt(d, "host-network", 12) && strings.Contains(messageOf(findAt(t, d, "host-network", 12)), "overlays/b/")
	})
	testtree.Write(t, root, map[string]string{".kube-policy.yaml": "kustomize: false\n"})
	s.notify(protocol.MethodWorkspaceDidChangeWatchedFiles, &protocol.DidChangeWatchedFilesParams{Changes: []protocol.FileEvent{
		{URI: uri.File(filepath.Join(root, ".kube-policy.yaml")), Type: protocol.FileChangeTypeCreated},
	}})
	s.waitDiagnostics(bu, "the base alone", func(d []protocol.Diagnostic) bool {
		return hasCodeAt(d, "host-network", 12) && !strings.Contains(messageOf(findAt(t, d, "host-network", 12)), "overlay")
	})
	s.waitDiagnostics(pu, "the patch as a manifest", func(d []protocol.Diagnostic) bool {
		return hasCodeAt(d, "privileged-container", 10) && !strings.Contains(messageOf(findAt(t, d, "privileged-container", 10)), "overlay")
	})
}

// TestOverlayUnusedComment: a component's patch read by two overlays shows its comment that
// suppresses nothing in either as one unused-suppression hint naming both, and none for its
// comment that one overlay uses; a comment typed (unsaved) without a reason is an
// invalid-suppression there.
func TestOverlayUnusedComment(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	testtree.Write(t, root, kustomizetest.SharedComponent(kustomizetest.Deployment))
	pu := uri.File(filepath.Join(root, "comp", "pid.yaml"))
	s := overlaySession(t, sessionOptions{root: root})
	s.open(pu, "yaml", kustomizetest.SharedComponentPatch)
	const both = "(in overlays debug/, prod/)"
	d := s.waitDiagnostics(pu, "the unused comment of both overlays", func(d []protocol.Diagnostic) bool {
		return hasCodeAt(d, "unused-suppression", 3) && strings.Contains(messageOf(findAt(t, d, "unused-suppression", 3)), both)
	})
	if n := count(d, "unused-suppression"); n != 1 {
		t.Errorf("%d unused-suppression diagnostics, want 1 (the host-pid comment is used by debug/): %v", n, codes(d))
	}
	if r := findAt(t, d, "unused-suppression", 3).Range; r.Start.Character != 12 || r.End != (protocol.Position{Line: 3, Character: uint32(len(strings.Split(kustomizetest.SharedComponentPatch, "\n")[3]))}) {
		t.Errorf("unused-suppression at %v, want the comment", r)
	}
	s.change(pu, 2, partial(0, 0, 0, 0, "# kube-policy-ls ignore host-network\n"))
	s.waitDiagnostics(pu, "the typed comment without a reason", func(d []protocol.Diagnostic) bool {
		return hasCodeAt(d, "invalid-suppression", 0) && hasCodeAt(d, "unused-suppression", 4)
	})
}
