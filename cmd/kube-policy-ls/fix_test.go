package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fixablePod has a privileged container (fixable) and a hostPath volume (not fixable: only
// suppression), with comments and 4-space indentation that the fix must keep.
const fixablePod = `# debug pod
apiVersion: v1
kind: Pod
metadata:
    name: debug
spec:
    containers:
        -   name: shell # interactive
            image: busybox:1.36
            securityContext:
                privileged: true # for strace
    volumes:
        -   name: host
            hostPath:
                path: /etc
`

func writeTemp(t *testing.T, dir, name, text string, perm os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, perm); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCheckFixWritesFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := writeTemp(t, dir, "pod.yaml", fixablePod, 0o640)
	code, out, errOut := runCLI(t, "", "check", "--fix", "--profile", "pss-baseline", p)
	if code != 1 {
		t.Errorf("exit %d, want 1 (the hostPath volume remains)\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	got, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(fixablePod, "privileged: true # for strace", "privileged: false # for strace", 1)
	if string(got) != want {
		t.Errorf("fixed file:\n%s\nwant:\n%s", got, want)
	}
	if info, err := os.Stat(p); err != nil || info.Mode().Perm() != 0o640 {
		t.Errorf("permissions after the fix: %v, %v; want 0640", info.Mode().Perm(), err)
	}
	if strings.Contains(out, "privileged-container") || !strings.Contains(out, "host-path-volumes") {
		t.Errorf("the report should list what remains (host-path-volumes) and not what was fixed:\n%s", out)
	}
	if !strings.Contains(errOut, "fixed 1 finding in 1 file") {
		t.Errorf("stderr lacks the summary:\n%s", errOut)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	// A second run has nothing left to fix: the fix reached a fixed point.
	_, _, errOut = runCLI(t, "", "check", "--fix", "--profile", "pss-baseline", p)
	if !strings.Contains(errOut, "fixed 0 findings in 0 files") {
		t.Errorf("second --fix changed something:\n%s", errOut)
	}
}

func TestCheckFixDryRun(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := writeTemp(t, dir, "pod.yaml", fixablePod, 0o644)
	code, out, errOut := runCLI(t, "", "check", "--fix", "--dry-run", "--profile", "pss-baseline", p)
	if code != 1 {
		t.Errorf("exit %d, want 1 (what would remain)\n%s", code, errOut)
	}
	wantDiff := "--- " + p + "\n+++ " + p + "\n" +
		"@@ -8,7 +8,7 @@\n" +
		"         -   name: shell # interactive\n" +
		"             image: busybox:1.36\n" +
		"             securityContext:\n" +
		"-                privileged: true # for strace\n" +
		"+                privileged: false # for strace\n" +
		"     volumes:\n" +
		"         -   name: host\n" +
		"             hostPath:\n"
	if out != wantDiff {
		t.Errorf("dry-run output:\n%s\nwant:\n%s", out, wantDiff)
	}
	if got, _ := os.ReadFile(p); string(got) != fixablePod {
		t.Error("--dry-run wrote the file")
	}
	if !strings.Contains(errOut, "would fix 1 finding in 1 file") {
		t.Errorf("stderr lacks the summary:\n%s", errOut)
	}
}

func TestCheckFixUsage(t *testing.T) {
	t.Parallel()
	if code, _, errOut := runCLI(t, "", "check", "--dry-run", "x.yaml"); code != 2 || !strings.Contains(errOut, "--dry-run needs --fix") {
		t.Errorf("--dry-run without --fix: exit %d, %s", code, errOut)
	}
	code, _, errOut := runCLI(t, fixablePod, "check", "--fix", "-")
	if code != 2 || !strings.Contains(errOut, "cannot write fixes back to stdin") {
		t.Errorf("--fix on stdin: exit %d, %s", code, errOut)
	}
	code, out, _ := runCLI(t, fixablePod, "check", "--fix", "--dry-run", "--profile", "pss-baseline", "-")
	if code != 1 || !strings.Contains(out, "+                privileged: false # for strace") {
		t.Errorf("--fix --dry-run on stdin: exit %d, %s", code, out)
	}
}

func TestWriteFixedRefusesChangedFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := writeTemp(t, dir, "pod.yaml", "changed meanwhile\n", 0o644)
	if err := writeFixed(p, fixablePod, "fixed\n"); !errors.Is(err, errChanged) {
		t.Errorf("writeFixed over a changed file: %v, want errChanged", err)
	}
	if got, _ := os.ReadFile(p); string(got) != "changed meanwhile\n" {
		t.Errorf("the changed file was overwritten: %q", got)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestWriteFixedFollowsSymlinks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	target := writeTemp(t, dir, "real.yaml", "old\n", 0o600)
	link := filepath.Join(dir, "link.yaml")
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("no symlinks here: %v", err)
	}
	if err := writeFixed(link, "old\n", "new\n"); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced by a file: %v %v", fi, err)
	}
	if got, _ := os.ReadFile(target); string(got) != "new\n" {
		t.Errorf("target holds %q", got)
	}
	if fi, _ := os.Stat(target); fi.Mode().Perm() != 0o600 {
		t.Errorf("target permissions %v, want 0600", fi.Mode().Perm())
	}
}

func TestDiffNames(t *testing.T) {
	t.Parallel()
	if d := diffOf("deploy/app.yaml", "a: 1\n", "a: 2\n"); !strings.HasPrefix(d, "--- a/deploy/app.yaml\n+++ b/deploy/app.yaml\n@@ -1 +1 @@\n-a: 1\n+a: 2\n") {
		t.Errorf("relative path:\n%s", d)
	}
	if d := diffOf("-", "a: 1", "a: 2"); d != "--- -\n+++ -\n@@ -1 +1 @@\n-a: 1\n\\ No newline at end of file\n+a: 2\n\\ No newline at end of file\n" {
		t.Errorf("stdin without final newline:\n%s", d)
	}
}
