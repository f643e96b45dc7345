package lsp

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/kube-policy-ls/kube-policy-ls/internal/kustomizetest"
	"github.com/kube-policy-ls/kube-policy-ls/internal/testtree"
)

// TestPollingWithoutWatchers: a client that registers no watchers and sends nothing about
// .rego or configuration files (Neovim 0.7 opens neither with this server) still sees a
// policy edited on disk, a configuration file edited on disk and a nearer configuration file
// created, within a second or so.
func TestPollingWithoutWatchers(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	config := filepath.Join(root, ".kube-policy.yaml")
	rule := filepath.Join(root, "policy", "registry.rego")
	writeFile(t, config, "policies: [./policy]\n")
	writeFile(t, rule, policySource("company-registry", registryRule))
	s := newSession(t, sessionOptions{root: root, initOpts: map[string]any{"debounceMs": 0}})
	u := uri.File(filepath.Join(root, "app", "pod.yaml"))
	s.open(u, "yaml", podYAML)
	if d := s.diagnosticsAt(u, 1); !hasCode(d, "company-registry") || !hasCode(d, "host-pid") {
		t.Fatalf("before: %v", codes(d))
	}

	start := time.Now()
	writeFile(t, rule, policySource("company-registry", "violations := set()\n"))
	s.waitDiagnostics(u, "the policy edited on disk applied", func(d []protocol.Diagnostic) bool { return !hasCode(d, "company-registry") && len(d) > 0 })
	t.Logf("policy edited on disk to re-published diagnostics, by polling: %v", time.Since(start))

	start = time.Now()
	writeFile(t, config, "policies: [./policy]\nrules:\n  host-pid: {enabled: false}\n")
	s.waitDiagnostics(u, "the configuration edited on disk applied", func(d []protocol.Diagnostic) bool { return !hasCode(d, "host-pid") && len(d) > 0 })
	t.Logf("configuration edited on disk to re-published diagnostics, by polling: %v", time.Since(start))

	writeFile(t, filepath.Join(root, "app", ".kube-policy.yaml"), "profile: default\n")
	s.waitDiagnostics(u, "the nearer configuration file governs the document", func(d []protocol.Diagnostic) bool { return hasCode(d, "host-pid") })
}

// TestNoPollingWhenWatched: a client whose watcher covers the workspace gets no polling of it
// (an edit on disk without a watched-file event changes nothing).
func TestNoPollingWhenWatched(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	config := filepath.Join(root, ".kube-policy.yaml")
	writeFile(t, config, "profile: default\n")
	s := newSession(t, sessionOptions{root: root, caps: watchingCaps(false), initOpts: map[string]any{"debounceMs": 0}})
	u := uri.File(filepath.Join(root, "pod.yaml"))
	s.open(u, "yaml", podYAML)
	s.diagnosticsAt(u, 1)
	writeFile(t, config, "rules:\n  host-pid: {enabled: false}\n")
	time.Sleep(3 * pollInterval)
	s.change(u, 2, partial(0, 0, 0, 0, "# v2\n"))
	if d := s.diagnosticsAt(u, 2); !hasCode(d, "host-pid") {
		t.Errorf("the workspace was polled although the client watches it: %v", codes(d))
	}
}

// TestPolledConfigIsReadOnceStill: a configuration file saved in place is empty for a moment,
// and an empty configuration is valid (the defaults). The poller reports a changed file only
// at the tick that finds it as it was at the one before, so the half-written file is never
// read; a file first seen modified after its engine read it waits a tick too.
func TestPolledConfigIsReadOnceStill(t *testing.T) {
	t.Parallel()
	config := filepath.Join(t.TempDir(), ".kube-policy.yaml")
	writeFile(t, config, "profile: default\n")
	p := newPoller()
	tick := func(when string, readAt time.Time, want ...string) {
		t.Helper()
		if got := p.settledConfigChanges(map[string]time.Time{config: readAt}); !slices.Equal(got, want) {
			t.Errorf("%s: reported %q, want %q", when, got, want)
		}
	}
	read := time.Now().Add(time.Hour) // read after every write below: only the poller's own view counts
	tick("first look, read after it was written", read)
	if err := os.Truncate(config, 0); err != nil {
		t.Fatal(err)
	}
	tick("truncated by a save in place", read)
	writeFile(t, config, "rules:\n  host-pid: {severity: low}\n")
	tick("written", read)
	tick("unchanged for a tick", read, config)
	tick("unchanged again", read)

	p = newPoller()
	tick("first look, modified after its engine read it", time.Time{})
	tick("unchanged for a tick", time.Time{}, config)

	if err := os.Remove(config); err != nil {
		t.Fatal(err)
	}
	tick("deleted", time.Time{})
	tick("still gone", time.Time{}, config)
	writeFile(t, config, "profile: default\n")
	tick("created again", time.Time{})
	if got := p.settledConfigChanges(nil); len(got) != 0 || len(p.unsettled) != 0 || len(p.configs) != 0 {
		t.Errorf("no longer in force: reported %q, left %v and %v", got, p.unsettled, p.configs)
	}
}

// TestPollingChartFiles: a client without a file watcher sees a chart's values edited on disk,
// a file it does not have open, re-rendered into the open template's diagnostics.
func TestPollingChartFiles(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	testtree.Write(t, root, smallChart("a"))
	tu := uri.File(filepath.Join(root, "templates", "pod.yaml"))
	s := newSession(t, sessionOptions{root: root, initOpts: map[string]any{"debounceMs": 0}})
	s.open(tu, "helm", readText(t, filepath.Join(root, "templates", "pod.yaml")))
	if d := s.diagnosticsAt(tu, 1); !hasCodeAt(d, "privileged-container", 9) {
		t.Fatalf("before: %v", codes(d))
	}
	testtree.Write(t, root, map[string]string{"values.yaml": "privileged: false\nimage: nginx:1.27\n"})
	s.waitDiagnostics(tu, "the values edited on disk rendered, by polling", func(d []protocol.Diagnostic) bool { return !hasCode(d, "privileged-container") })
}

// TestPollingOverlayFilesTheWatcherMisses: the watcher reports kustomizations and chart files,
// not the patches and resources an overlay reads by any name; those are polled even for a
// client that watches, so a patch edited on disk, not open, is built again.
func TestPollingOverlayFilesTheWatcherMisses(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	testtree.Write(t, root, twoOverlays())
	patch := filepath.Join(root, "overlays", "a", "privileged.yaml")
	s := overlaySession(t, sessionOptions{root: root, caps: watchingCaps(false), initOpts: map[string]any{"debounceMs": 0}})
	s.open(uri.File(filepath.Join(root, "base", "deploy.yaml")), "yaml", overlayBase)
	s.waitDiagnostics(uri.File(patch), "the patch's finding, on a file not open", func(d []protocol.Diagnostic) bool { return hasCode(d, "privileged-container") })
	testtree.Write(t, root, map[string]string{"overlays/a/privileged.yaml": strings.Replace(kustomizetest.PrivilegedPatch, "privileged: true", "privileged: false", 1)})
	s.waitDiagnostics(uri.File(patch), "the patch edited on disk built again, by polling", func(d []protocol.Diagnostic) bool { return !hasCode(d, "privileged-container") })
}

func TestWatchedMember(t *testing.T) {
	t.Parallel()
	for path, want := range map[string]bool{
		"/w/chart/Chart.yaml":                 true,
		"/w/chart/values-prod.yaml":           true,
		"/w/chart/templates/_helpers.tpl":     true,
		"/w/chart/templates/sub/deploy.yaml":  true,
		"/w/app/overlays/a/kustomization.yml": true,
		"/w/app/Kustomization":                true,
		"/w/app/overlays/a/privileged.yaml":   false,
		"/w/app/base/deploy.yaml":             false,
		"/w/app/templatesx/deploy.yaml":       false,
		"/w/chart/values.yml":                 false, // Helm reads values.yaml only
	} {
		if got := watchedMember(path); got != want {
			t.Errorf("watchedMember(%s) = %v, want %v", path, got, want)
		}
	}
}

// changedMembers reports a chart's or overlay's file at the tick after it changes, and, seen
// for the first time, if it was modified after the check that read it started: an edit on disk
// between the check's read and the poller's first look is not lost.
func TestPolledMembersChange(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "values.yaml")
	writeFile(t, file, "a: 1\n")
	p := newPoller()
	tick := func(when string, since time.Time, want ...string) {
		t.Helper()
		if got := p.changedMembers(map[string]time.Time{file: since}); !slices.Equal(got, want) {
			t.Errorf("%s: reported %q, want %q", when, got, want)
		}
	}
	tick("first look, read after it was written", time.Now().Add(time.Hour))
	writeFile(t, file, "a: 22\n")
	tick("written", time.Now().Add(time.Hour), file)
	tick("unchanged", time.Now().Add(time.Hour))
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	tick("deleted", time.Now().Add(time.Hour), file)

	writeFile(t, file, "a: 1\n")
	p = newPoller()
	tick("first look, written after its check started", time.Time{}, file)
	if got := p.changedMembers(nil); len(got) != 0 || len(p.members) != 0 {
		t.Errorf("no longer read: reported %q, left %v", got, p.members)
	}
}
