package analysis

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckPolicyDirs(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	if err := os.Mkdir(filepath.Join(base, "policy"), 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(base, "not-a-dir.rego")
	if err := os.WriteFile(file, []byte("root:x:0:0:secret-content\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := ParseConfig([]byte("profile: default\npolicies:\n  - ./policy\n  - " + file + "\n  - ./missing\n"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.BaseDir = base
	err = cfg.CheckPolicyDirs()
	var errs ConfigErrors
	if !errors.As(err, &errs) || len(errs) != 2 {
		t.Fatalf("CheckPolicyDirs = %v; want two errors", err)
	}
	if e := errs[0]; e.Line != 4 || e.Column != 5 || !strings.Contains(e.Msg, "is not a directory") {
		t.Errorf("the file entry: %+v", e)
	}
	if e := errs[1]; e.Line != 5 || e.Column != 5 || !strings.Contains(e.Msg, "does not exist") {
		t.Errorf("the missing entry: %+v", e)
	}
	if strings.Contains(err.Error(), "secret-content") {
		t.Errorf("the error shows the file's content: %v", err)
	}
	if got, want := cfg.PolicyDirs(), []string{filepath.Join(base, "policy"), file, filepath.Join(base, "missing")}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("PolicyDirs = %v, want %v", got, want)
	}

	// Without a base, a relative directory is an error and is not resolved at all.
	rel := Config{Policies: []string{"policy"}}
	if err := rel.CheckPolicyDirs(); err == nil || !strings.Contains(err.Error(), "relative") {
		t.Errorf("relative without a base: %v", err)
	}
	if dirs := rel.PolicyDirs(); len(dirs) != 0 {
		t.Errorf("PolicyDirs without a base = %v", dirs)
	}
	if err := (Config{Policies: []string{"policy"}, BaseDir: base}).CheckPolicyDirs(); err != nil {
		t.Errorf("an existing directory: %v", err)
	}
	link := filepath.Join(base, "link")
	if err := os.Symlink(filepath.Join(base, "policy"), link); err != nil {
		t.Skipf("symbolic links: %v", err)
	}
	if err := (Config{Policies: []string{link}}).CheckPolicyDirs(); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("a symbolic link to a directory: %v", err)
	}
}
