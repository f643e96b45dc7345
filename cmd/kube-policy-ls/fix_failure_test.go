package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// `check --fix` when the file system does not cooperate: a read-only file, a file that changes
// or is replaced between the check and the write. (fix_failure_unix_test.go: a directory or
// file this user may not write, and a run killed in the middle.)

// fixedPod is fixablePod once fixed.
var fixedPod = strings.Replace(fixablePod, "privileged: true # for strace", "privileged: false # for strace", 1)

// onlyEntries fails unless dir holds exactly these names (no temporary file left behind).
func onlyEntries(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if strings.Join(got, " ") != strings.Join(names, " ") {
		t.Errorf("%s holds %v, want %v", dir, got, names)
	}
}

func TestCheckFixReadOnlyFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := writeTemp(t, dir, "pod.yaml", fixablePod, 0o444)
	code, _, errOut := runCLI(t, "", "check", "--fix", "--profile", "pss-baseline", p)
	if code != 2 || !strings.Contains(errOut, "fixing "+p+": the file is read-only; not overwritten") {
		t.Errorf("exit %d, want 2 and the reason\nstderr:\n%s", code, errOut)
	}
	if got, _ := os.ReadFile(p); string(got) != fixablePod {
		t.Errorf("the read-only file was changed:\n%s", got)
	}
	if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o444 {
		t.Errorf("mode after: %v %v", fi.Mode(), err)
	}
	onlyEntries(t, dir, "pod.yaml")
}

// replaceFile puts text at path by renaming a new file over it (as editors save), with the
// old file's modification time: only its identity tells it from the old one.
func replaceFile(t *testing.T, path, text string, mtime time.Time) {
	t.Helper()
	tmp := path + ".new"
	if err := os.WriteFile(tmp, []byte(text), 0o644); err != nil {
		t.Error(err)
		return
	}
	if err := os.Chtimes(tmp, mtime, mtime); err != nil {
		t.Error(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Error(err)
	}
}

// TestWriteFixedChangedBeforeRename changes the file after it was read and the fixed text
// written aside, just before the rename: in place (another size), or replaced by another file
// of the same size and modification time. Neither is overwritten.
func TestWriteFixedChangedBeforeRename(t *testing.T) { // not parallel: it sets a hook
	for name, change := range map[string]func(t *testing.T, target string, fi os.FileInfo){
		"modified in place": func(t *testing.T, target string, _ os.FileInfo) {
			if err := os.WriteFile(target, []byte("edited meanwhile\n"), 0o644); err != nil {
				t.Error(err)
			}
		},
		"replaced, same size and time": func(t *testing.T, target string, fi os.FileInfo) {
			replaceFile(t, target, strings.Replace(fixablePod, "debug pod", "DEBUG POD", 1), fi.ModTime())
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			p := writeTemp(t, dir, "pod.yaml", fixablePod, 0o644)
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			var meanwhile []byte
			testHookBeforeRename = func(target string) {
				change(t, target, fi)
				meanwhile, _ = os.ReadFile(target)
			}
			defer func() { testHookBeforeRename = nil }()
			if err := writeFixed(p, fixablePod, fixedPod); !errors.Is(err, errChanged) {
				t.Errorf("writeFixed: %v, want errChanged", err)
			}
			if got, _ := os.ReadFile(p); meanwhile == nil || string(got) != string(meanwhile) {
				t.Errorf("the change was overwritten: the file holds\n%s", got)
			}
			onlyEntries(t, dir, "pod.yaml")
		})
	}
}

// TestCheckFixFileReplacedDuringRun: of three files checked, the second is replaced while the
// fixes are written. It keeps its new content and the run says so; the others are fixed.
func TestCheckFixFileReplacedDuringRun(t *testing.T) { // not parallel: it sets a hook
	dir := t.TempDir()
	for _, name := range []string{"a.yaml", "b.yaml", "c.yaml"} {
		writeTemp(t, dir, name, fixablePod, 0o644)
	}
	replacement := "# replaced by the user\n" + fixablePod
	testHookBeforeRename = func(target string) {
		if filepath.Base(target) == "b.yaml" {
			replaceFile(t, target, replacement, time.Now())
		}
	}
	defer func() { testHookBeforeRename = nil }()
	code, _, errOut := runCLI(t, "", "check", "--fix", "--profile", "pss-baseline", dir)
	b := filepath.Join(dir, "b.yaml")
	if code != 2 || !strings.Contains(errOut, "fixing "+b+": the file changed on disk since it was read; not overwritten") {
		t.Errorf("exit %d, want 2 and the reason\nstderr:\n%s", code, errOut)
	}
	for name, want := range map[string]string{"a.yaml": fixedPod, "b.yaml": replacement, "c.yaml": fixedPod} {
		if got, _ := os.ReadFile(filepath.Join(dir, name)); string(got) != want {
			t.Errorf("%s holds\n%s\nwant\n%s", name, got, want)
		}
	}
	onlyEntries(t, dir, "a.yaml", "b.yaml", "c.yaml")
}
