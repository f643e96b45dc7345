package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The README's first screen ("From clone to squiggles") promises a new user diagnostics in
// Neovim and VS Code in a few commands (issue 18: "each shown in the README and run by a test
// or CI"). These tests keep each of those commands true: every `make` target it names exists,
// `make install` and `go install` install a working binary, and what the editor lines name is
// what the end-to-end tests (make e2e, run by .ci/run) install and load.

const repoRoot = "../.."

// firstScreenCommands returns the shell commands of the README's "From clone to squiggles"
// section: the lines of its code blocks and the inline code spans that start with a command
// this test knows (make, go, code), split at `&&`, without comments.
func firstScreenCommands(t *testing.T) (cmds []string, section string) {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	start := strings.Index(text, "\n## From clone to squiggles\n")
	if start < 0 {
		t.Fatal(`README.md has no "## From clone to squiggles" section`)
	}
	section = text[start+1:]
	if end := strings.Index(section[3:], "\n## "); end >= 0 {
		section = section[:end+3]
	}
	var lines []string
	inBlock := false
	for line := range strings.SplitSeq(section, "\n") {
		switch {
		case strings.HasPrefix(line, "```"):
			inBlock = !inBlock
		case inBlock:
			if i := strings.Index(line, "#"); i >= 0 {
				line = line[:i]
			}
			lines = append(lines, line)
		default:
			for _, m := range regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(line, -1) {
				if regexp.MustCompile(`^(make|go|code) `).MatchString(m[1]) {
					lines = append(lines, m[1])
				}
			}
		}
	}
	for _, l := range lines {
		for c := range strings.SplitSeq(l, "&&") {
			if c = strings.TrimSpace(c); c != "" {
				cmds = append(cmds, c)
			}
		}
	}
	return cmds, section
}

// makeCmd runs make in the repository root with env added to cleanEnv.
func makeCmd(env []string, args ...string) *exec.Cmd {
	cmd := exec.Command("make", append([]string{"--no-print-directory", "-C", repoRoot}, args...)...)
	cmd.Env = append(cleanEnv(), env...)
	return cmd
}

// cleanEnv is the test's environment without GOBIN, which each test sets where it wants it,
// and without the variables by which an enclosing `make test` would pass its own flags (-n,
// -s, a jobserver) to the make these tests run.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k != "MAKEFLAGS" && k != "MFLAGS" && k != "MAKELEVEL" && k != "GOBIN" {
			env = append(env, kv)
		}
	}
	return env
}

func needMake(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not on PATH: the README's commands cannot be checked")
	}
}

// TestReadmeFirstScreen checks that each command of the first screen exists as shown: a make
// target (by a dry run), the package of `go install` (installed by TestReadmeInstall), the
// .vsix that `code --install-extension` installs (the one `make vsix` writes and the VS Code
// end-to-end test installs), and the Neovim module.
func TestReadmeFirstScreen(t *testing.T) {
	t.Parallel()
	needMake(t)
	cmds, section := firstScreenCommands(t)
	seen := map[string]bool{}
	for _, c := range cmds {
		f := strings.Fields(c)
		seen[f[0]] = true
		switch {
		case f[0] == "make":
			// -n: make resolves the target and its prerequisites but runs nothing.
			if out, err := makeCmd(nil, append([]string{"-n"}, f[1:]...)...).CombinedOutput(); err != nil {
				t.Errorf("README's %q: make -n fails: %v\n%s", c, err, out)
			}
		case c == "go install ./cmd/kube-policy-ls":
			// run for real by TestReadmeInstall
		case f[0] == "code" && len(f) == 3 && f[1] == "--install-extension":
			vsix := f[2]
			if out, err := makeCmd(nil, "-n", "vsix").CombinedOutput(); err != nil || !strings.Contains(string(out), " "+vsix) {
				t.Errorf("README installs %s, which `make vsix` does not write (%v):\n%s", vsix, err, out)
			}
			run, err := os.ReadFile(filepath.Join(repoRoot, "e2e", "vscode", "run.sh"))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(run), "$repo/"+vsix) {
				t.Errorf("README installs %s, which e2e/vscode/run.sh (make e2e) does not test", vsix)
			}
		default:
			t.Errorf("README's first screen shows %q, which this test does not know how to check: add a check", c)
		}
	}
	for _, want := range []string{"make", "go", "code"} {
		if !seen[want] {
			t.Errorf("found no %q command in the README's first screen; is the parsing still right? got %q", want, cmds)
		}
	}
	// The Neovim line: the runtime path it names holds the module it requires.
	m := regexp.MustCompile("`(editors/[a-z]+)`[^`]*`require\\('([a-z_]+)'\\)").FindStringSubmatch(section)
	if m == nil {
		t.Fatal("the README's Neovim line (runtime path and require) is not where this test looks")
	}
	if _, err := os.Stat(filepath.Join(repoRoot, m[1], "lua", m[2], "init.lua")); err != nil {
		t.Errorf("README's Neovim module: %v", err)
	}
}

// TestReadmeInstall runs the first screen's install commands for real, into temporary
// directories: `make install` with GOBIN set (where it installs, as `go install` does), its
// PREFIX fallback when GOBIN is not set (a dry run, so that a GOBIN in the user's go env file
// can never send a test's binary into a real directory), and `go install ./cmd/kube-policy-ls`.
// Each installed binary must run and carry the Makefile's version, not the source's default.
func TestReadmeInstall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary twice")
	}
	t.Parallel()
	needMake(t)
	tmp := t.TempDir()
	gobin := filepath.Join(tmp, "gobin")
	// BIN: the build goes to the temporary directory, not the repository's bin/, which other
	// tests and a developer's editor may be running.
	out, err := makeCmd([]string{"GOBIN=" + gobin}, "install", "BIN="+filepath.Join(tmp, "build", "kube-policy-ls"), "PREFIX="+filepath.Join(tmp, "prefix")).CombinedOutput()
	if err != nil {
		t.Fatalf("make install: %v\n%s", err, out)
	}
	installed := filepath.Join(gobin, "kube-policy-ls")
	if !strings.Contains(string(out), "installed "+installed+"\n") {
		t.Errorf("make install with GOBIN=%s does not say it installed there:\n%s", gobin, out)
	}
	// The test's PATH lacks gobin, so the warning a new user needs is due.
	if !strings.Contains(string(out), gobin+" is not on PATH") {
		t.Errorf("make install does not warn that %s is not on PATH:\n%s", gobin, out)
	}
	checkInstalled(t, installed, true)

	goEnv := exec.Command("go", "env", "GOBIN")
	goEnv.Env = cleanEnv()
	if v, err := goEnv.Output(); err == nil && strings.TrimSpace(string(v)) == "" {
		prefix := filepath.Join(tmp, "prefix")
		dry, err := makeCmd(nil, "-n", "install", "PREFIX="+prefix).CombinedOutput()
		if err != nil || !strings.Contains(string(dry), filepath.Join(prefix, "bin", "kube-policy-ls")) {
			t.Errorf("make install without GOBIN does not install into PREFIX/bin (%v):\n%s", err, dry)
		}
	} else {
		t.Logf("go env GOBIN is set outside the environment (%s): the PREFIX fallback is not checked", strings.TrimSpace(string(v)))
	}

	goinstall := filepath.Join(tmp, "goinstall")
	cmd := exec.Command("go", "install", "./cmd/kube-policy-ls")
	cmd.Dir = repoRoot
	cmd.Env = append(cleanEnv(), "GOBIN="+goinstall)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go install ./cmd/kube-policy-ls: %v\n%s", err, out)
	}
	// go install has no -ldflags: the source's default version is what it reports.
	checkInstalled(t, filepath.Join(goinstall, "kube-policy-ls"), false)
}

// checkInstalled runs the installed binary's version command; fromMake: built with the
// Makefile's -X main.version, so the source's default must not show.
func checkInstalled(t *testing.T, bin string, fromMake bool) {
	t.Helper()
	out, err := exec.Command(bin, "version").CombinedOutput()
	got := strings.TrimSpace(string(out))
	if err != nil || !strings.HasPrefix(got, "kube-policy-ls ") {
		t.Errorf("%s version: %v: %q", bin, err, got)
		return
	}
	if isDefault := got == "kube-policy-ls "+version; isDefault == fromMake {
		t.Errorf("%s version: %q (built by make: %v; the source's default is %s)", bin, got, fromMake, version)
	}
}
