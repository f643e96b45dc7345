package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kube-policy-ls/kube-policy-ls/internal/kustomizetest"
	"github.com/kube-policy-ls/kube-policy-ls/internal/shareddata"
	"github.com/kube-policy-ls/kube-policy-ls/internal/testtree"
)

// writeOverlays writes a base (kustomizetest.Deployment, but whose pod runs as UID 1000 on
// line 16: run-as-high-uid) and two overlays that use it: staging renames it, prod adds
// kustomizetest.PrivilegedPatch, which makes the container privileged.
func writeOverlays(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := kustomizetest.Base(strings.Replace(kustomizetest.Deployment, "runAsUser: 10001", "runAsUser: 1000", 1))
	kustomizetest.AddPrivilegedOverlay(files, "prod")
	files["staging/kustomization.yaml"] = "resources:\n- ../base\nnamePrefix: staging-\n"
	testtree.Write(t, dir, files)
	return dir
}

type overlayReport struct {
	Findings []overlayFinding `json:"findings"`
}

type overlayFinding struct {
	Rule     string   `json:"rule"`
	File     string   `json:"file"`
	Line     int      `json:"line"`
	Column   int      `json:"column"`
	Fixable  bool     `json:"fixable"`
	Overlay  string   `json:"overlay"`
	Overlays []string `json:"overlays"`
}

func checkJSON(t *testing.T, args ...string) overlayReport {
	t.Helper()
	code, out, errOut := runCLI(t, "", append([]string{"check", "--format", "json"}, args...)...)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", code, out, errOut)
	}
	var rep overlayReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return rep
}

// TestCheckOverlays: the privileged patch is reported in the patch file, for prod; the base's
// finding once, with the three overlays that build it (base, prod, staging); the patch file
// and the kustomizations are not checked as manifests of their own.
func TestCheckOverlays(t *testing.T) {
	t.Parallel()
	dir := writeOverlays(t)
	rep := checkJSON(t, dir)
	var privileged, uid int
	for _, f := range rep.Findings {
		switch f.Rule {
		case "privileged-container":
			privileged++
			if f.File != filepath.Join(dir, "prod", "privileged.yaml") || f.Line != 11 || f.Column != 11 || !f.Fixable {
				t.Errorf("privileged-container at %s:%d:%d (fixable %v), want prod/privileged.yaml:11:11", f.File, f.Line, f.Column, f.Fixable)
			}
			if f.Overlay != filepath.Join(dir, "prod") || len(f.Overlays) != 1 {
				t.Errorf("privileged-container in overlays %q %v, want prod only", f.Overlay, f.Overlays)
			}
		case "run-as-high-uid":
			uid++
			want := []string{filepath.Join(dir, "base"), filepath.Join(dir, "prod"), filepath.Join(dir, "staging")}
			if f.File != filepath.Join(dir, "base", "deploy.yaml") || f.Line != 16 || strings.Join(f.Overlays, " ") != strings.Join(want, " ") || f.Overlay != want[0] {
				t.Errorf("run-as-high-uid at %s:%d in %v, want base/deploy.yaml:16 in %v", f.File, f.Line, f.Overlays, want)
			}
		default:
			t.Errorf("unexpected finding %+v", f)
		}
	}
	if privileged != 1 || uid != 1 {
		t.Errorf("%d privileged-container and %d run-as-high-uid findings, want one each", privileged, uid)
	}

	code, out, _ := runCLI(t, "", "check", "--format", "text", dir)
	if want := filepath.Join(dir, "prod", "privileged.yaml") + ":11:11: critical privileged-container"; code != 1 || !strings.Contains(out, want) ||
		!strings.Contains(out, "(overlay "+filepath.Join(dir, "prod")+")") {
		t.Errorf("text output lacks %q with the overlay:\n%s", want, out)
	}
	code, out, _ = runCLI(t, "", "check", "--format", "sarif", dir)
	if code != 1 || !strings.Contains(out, `"uri": "`+filepath.ToSlash(filepath.Join(dir, "prod", "privileged.yaml"))+`"`) {
		t.Errorf("SARIF lacks the patch file's location:\n%s", out)
	}
}

// TestCheckOverlaysOff: --kustomize=false and the configuration's kustomize: false check the
// files one by one, as before overlays were built: the patch file is a manifest of its own.
func TestCheckOverlaysOff(t *testing.T) {
	t.Parallel()
	dir := writeOverlays(t)
	off := func(rep overlayReport, how string) {
		t.Helper()
		patch := false
		for _, f := range rep.Findings {
			if f.Overlay != "" || len(f.Overlays) > 0 {
				t.Errorf("%s: a finding names an overlay: %+v", how, f)
			}
			patch = patch || f.File == filepath.Join(dir, "prod", "privileged.yaml")
		}
		if !patch {
			t.Errorf("%s: the patch file was not checked as a manifest", how)
		}
	}
	off(checkJSON(t, "--kustomize=false", dir), "--kustomize=false")
	if err := os.WriteFile(filepath.Join(dir, ".kube-policy.yaml"), []byte("kustomize: false\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	off(checkJSON(t, dir), "kustomize: false")
}

// TestCheckOverlaysFix: --fix edits the patch that set the field (and the base file for the
// base's finding), and the overlays, built again, are clean.
func TestCheckOverlaysFix(t *testing.T) {
	t.Parallel()
	dir := writeOverlays(t)
	code, out, errOut := runCLI(t, "", "check", "--fix", dir)
	if code != 0 {
		t.Fatalf("exit %d after --fix, want 0\n%s%s", code, out, errOut)
	}
	data, err := os.ReadFile(filepath.Join(dir, "prod", "privileged.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "privileged: false") {
		t.Errorf("the patch was not fixed:\n%s", data)
	}
	code, out, errOut = runCLI(t, "", "check", dir)
	if code != 0 {
		t.Errorf("exit %d after the fixes\n%s%s", code, out, errOut)
	}
}

// TestCheckSharedKustomize: the shared microservices-demo reports each base finding once,
// with its overlays, and nothing on the kustomizations or components' patch files; a
// resource that no overlay uses is still checked on its own.
func TestCheckSharedKustomize(t *testing.T) {
	t.Parallel()
	demo := filepath.Join(shareddata.Path(t, "kustomize/microservices-demo"), "kustomize", "microservices-demo")
	rep := checkJSON(t, demo)
	seen := map[string]bool{}
	for _, f := range rep.Findings {
		key := fmt.Sprintf("%s:%d %s", f.File, f.Line, f.Rule)
		if seen[key] {
			t.Errorf("reported twice: %s:%d %s", f.File, f.Line, f.Rule)
		}
		seen[key] = true
		if strings.Contains(filepath.Base(f.File), "kustomization") || strings.HasSuffix(f.File, ".patch.yaml") {
			t.Errorf("a finding on a kustomization or patch: %+v", f)
		}
		// no overlay of the demo uses the shopping-assistant component: checked on its own
		if len(f.Overlays) == 0 && !strings.Contains(f.File, "shopping-assistant") {
			t.Errorf("%s:%d %s: no overlay builds it", f.File, f.Line, f.Rule)
		}
	}
	if len(rep.Findings) == 0 {
		t.Fatal("no findings")
	}
}

// TestCheckOverlayFragmentNamed: a patch file named on the command line is checked through
// the overlay that uses it (only the findings placed in it), not as a manifest of its own;
// with --kustomize=false it is a file like any other.
func TestCheckOverlayFragmentNamed(t *testing.T) {
	t.Parallel()
	dir := writeOverlays(t)
	patch := filepath.Join(dir, "prod", "privileged.yaml")
	rep := checkJSON(t, patch)
	if len(rep.Findings) != 1 || rep.Findings[0].Rule != "privileged-container" || rep.Findings[0].File != patch || rep.Findings[0].Overlay != filepath.Join(dir, "prod") {
		t.Errorf("findings of the named patch: %+v, want privileged-container in it, overlay prod", rep.Findings)
	}
	rep = checkJSON(t, "--kustomize=false", patch)
	for _, f := range rep.Findings {
		if f.File != patch || f.Overlay != "" {
			t.Errorf("--kustomize=false: %+v", f)
		}
	}
}

// TestCheckOverlaysBaseline: a baseline records the overlays' findings, at their placed
// files, and then hides them.
func TestCheckOverlaysBaseline(t *testing.T) {
	t.Parallel()
	dir := writeOverlays(t)
	base := filepath.Join(t.TempDir(), "baseline.json")
	if code, out, errOut := runCLI(t, "", "check", "--write-baseline", base, dir); code != 0 || !strings.Contains(errOut, "2 findings recorded") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := runCLI(t, "", "check", "--baseline", base, dir); code != 0 || !strings.Contains(errOut, "2 known findings") {
		t.Errorf("exit %d with the baseline\n%s%s", code, out, errOut)
	}
}

// TestCheckOverlayUnusedComment: a component's patch read by two overlays has a comment that
// suppresses nothing in either (reported once, naming both, in every format and known to a
// baseline) and one that suppresses the finding of one overlay (not reported).
func TestCheckOverlayUnusedComment(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	testtree.Write(t, dir, kustomizetest.SharedComponent(kustomizetest.Deployment))
	patch := filepath.Join(dir, "comp", "pid.yaml")
	rep := checkJSON(t, "--fail-on", "hint", dir)
	rep.Findings = slices.DeleteFunc(rep.Findings, func(f overlayFinding) bool { return f.Rule == "host-pid" }) // suppressed
	if len(rep.Findings) != 1 {
		t.Fatalf("findings %+v, want the unused host-ipc comment only", rep.Findings)
	}
	f := rep.Findings[0]
	overlays := []string{filepath.Join(dir, "debug"), filepath.Join(dir, "prod")}
	if f.Rule != "unused-suppression" || f.File != patch || f.Line != 4 || f.Column != 13 || strings.Join(f.Overlays, " ") != strings.Join(overlays, " ") {
		t.Errorf("finding %+v, want unused-suppression at %s:4:13 in %v", f, patch, overlays)
	}
	code, out, _ := runCLI(t, "", "check", "--format", "text", dir)
	if want := patch + ":4:13: hint unused-suppression: unused suppression: no host-ipc finding here to suppress (overlays "; code != 0 || !strings.Contains(out, want) {
		t.Errorf("exit %d (want 0: a hint), text output lacks %q:\n%s", code, want, out)
	}
	_, out, _ = runCLI(t, "", "check", "--format", "sarif", dir)
	if !strings.Contains(out, `"ruleId": "unused-suppression"`) || !strings.Contains(out, `"uri": "`+filepath.ToSlash(patch)+`"`) {
		t.Errorf("SARIF lacks the unused suppression in the patch:\n%s", out)
	}
	base := filepath.Join(t.TempDir(), "baseline.json")
	if code, out, errOut := runCLI(t, "", "check", "--write-baseline", base, dir); code != 0 || !strings.Contains(errOut, "1 findings recorded") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := runCLI(t, "", "check", "--fail-on", "hint", "--baseline", base, dir); code != 0 || !strings.Contains(errOut, "1 known findings") {
		t.Errorf("exit %d with the baseline\n%s%s", code, out, errOut)
	}
}
