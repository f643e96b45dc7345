//go:build unix

package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// nobody is the unprivileged user the tests run the binary as when they run as root (for
// whom permissions do not hold).
const nobody = 65534

// buildCLI builds the binary into a directory that any user may read.
func buildCLI(t *testing.T) string {
	t.Helper()
	dir := openDir(t)
	bin := filepath.Join(dir, "kube-policy-ls")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// openDir is a temporary directory that any user may enter.
func openDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for d := dir; d != filepath.Dir(d) && strings.HasPrefix(d, os.TempDir()) && d != os.TempDir(); d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// unprivileged runs the binary as nobody when this test runs as root, else as this user, and
// returns its exit code and stderr.
func unprivileged(t *testing.T, bin string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if os.Geteuid() == 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	}
	err := cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("running %s: %v", bin, err)
	}
	return cmd.ProcessState.ExitCode(), stderr.String()
}

// chown gives path to the user unprivileged runs as.
func chown(t *testing.T, path string) {
	t.Helper()
	if os.Geteuid() == 0 {
		if err := os.Chown(path, nobody, nobody); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCheckFixUnwritable: a read-only directory (the temporary file cannot be made), and, when
// the tests run as root, a file of another user's that this one may not write in a directory
// it may (the rename would replace it). Each gives a clear error and stays as it was.
func TestCheckFixUnwritable(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildCLI(t)

	roDir := filepath.Join(openDir(t), "ro")
	if err := os.Mkdir(roDir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := writeTemp(t, roDir, "pod.yaml", fixablePod, 0o644)
	chown(t, p)
	chown(t, roDir)
	if err := os.Chmod(roDir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(roDir, 0o755) })
	code, errOut := unprivileged(t, bin, "check", "--fix", "--profile", "pss-baseline", p)
	if code != 2 || !strings.Contains(errOut, "fixing "+p+": ") || !strings.Contains(errOut, "permission denied") {
		t.Errorf("read-only directory: exit %d, want 2 and the reason\nstderr:\n%s", code, errOut)
	}
	if got, _ := os.ReadFile(p); string(got) != fixablePod {
		t.Errorf("read-only directory: the file was changed:\n%s", got)
	}
	onlyEntries(t, roDir, "pod.yaml")

	if os.Geteuid() != 0 {
		return // another user's file takes two users
	}
	dir := filepath.Join(openDir(t), "shared")
	if err := os.Mkdir(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	q := writeTemp(t, dir, "pod.yaml", fixablePod, 0o644) // root's, readable by all
	code, errOut = unprivileged(t, bin, "check", "--fix", "--profile", "pss-baseline", q)
	if code != 2 || !strings.Contains(errOut, "fixing "+q+": ") || !strings.Contains(errOut, "permission denied") {
		t.Errorf("another user's file: exit %d, want 2 and the reason\nstderr:\n%s", code, errOut)
	}
	if got, _ := os.ReadFile(q); string(got) != fixablePod {
		t.Errorf("another user's file was replaced:\n%s", got)
	}
	if fi, err := os.Stat(q); err != nil || fi.Sys().(*syscall.Stat_t).Uid != 0 {
		t.Errorf("another user's file changed hands: %v", err)
	}
	onlyEntries(t, dir, "pod.yaml")
}

// TestCheckFixKilled kills `check --fix` over many files with SIGKILL while it writes them, at
// three points: every file is then either as it was or fixed, never in between; a temporary
// file may be left (hidden, and not a manifest), and the next run finishes the work.
func TestCheckFixKilled(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildCLI(t)
	const files = 400
	for _, at := range []int{0, files / 3, 2 * files / 3} {
		dir := t.TempDir()
		names := make([]string, files)
		for i := range names {
			names[i] = fmt.Sprintf("pod-%04d.yaml", i)
			writeTemp(t, dir, names[i], fixablePod, 0o644)
		}
		cmd := exec.Command(bin, "check", "--fix", "--profile", "pss-baseline", "--format", "json", dir)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		// Kill it once the file at `at` is no longer the old one (the files are fixed in order),
		// or give up after a minute (the run then ends on its own: every file fixed).
		watched := filepath.Join(dir, names[at])
		deadline := time.Now().Add(time.Minute)
	wait:
		for time.Now().Before(deadline) {
			select {
			case <-exited:
				break wait
			default:
			}
			if got, err := os.ReadFile(watched); err == nil && string(got) != fixablePod {
				break
			}
			time.Sleep(200 * time.Microsecond)
		}
		_ = cmd.Process.Kill()
		<-exited

		fixed, old, temps := 0, 0, 0
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".") && strings.Contains(e.Name(), ".fix-") {
				temps++
				continue
			}
			got, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			switch string(got) {
			case fixedPod:
				fixed++
			case fixablePod:
				old++
			default:
				t.Errorf("killed at file %d: %s is neither the old text nor the fixed one:\n%q", at, e.Name(), got)
			}
		}
		if len(entries)-temps != files {
			t.Errorf("killed at file %d: %d manifests, want %d", at, len(entries)-temps, files)
		}
		t.Logf("killed while fixing file %d of %d: %d fixed, %d as they were, %d temporary files left", at, files, fixed, old, temps)
		// The next run does the rest.
		if out, err := exec.Command(bin, "check", "--fix", "--profile", "pss-baseline", "--format", "json", dir).CombinedOutput(); err != nil && !strings.Contains(err.Error(), "exit status 1") {
			t.Fatalf("the run after: %v\n%s", err, out)
		}
		for _, name := range names {
			if got, _ := os.ReadFile(filepath.Join(dir, name)); string(got) != fixedPod {
				t.Errorf("after the second run, %s is not fixed", name)
				break
			}
		}
	}
}
