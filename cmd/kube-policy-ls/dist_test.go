package main

import (
	"os/exec"
	"strings"
	"testing"
)

// distPlatforms are `make dist`'s targets (DIST_PLATFORMS in the Makefile).
var distPlatforms = [][2]string{
	{"linux", "amd64"}, {"linux", "arm64"},
	{"darwin", "amd64"}, {"darwin", "arm64"},
	{"windows", "amd64"}, {"windows", "arm64"},
}

// TestDistSourcesPortable stands in for cross-compiling in `make test` and CI. One cold cross
// build takes 3 to 5 minutes on the 2-core machine (BENCHMARKS.md, "Release artifacts"), too
// much for every run, and the repository's own code cannot break one platform's build alone as
// long as it is the same code on every platform: no non-test file is selected or dropped by a
// build constraint (a _windows.go suffix, a //go:build line) and no package imports the
// per-platform APIs syscall or golang.org/x/sys. The dependencies are pinned in go.sum and
// `make dist` builds all six. `go list` answers this for each platform in well under a second.
func TestDistSourcesPortable(t *testing.T) {
	t.Parallel()
	for _, p := range distPlatforms {
		cmd := exec.Command("go", "list", "-f", "{{.ImportPath}}\t{{join .IgnoredGoFiles \" \"}}\t{{join .Imports \" \"}}", "./...")
		cmd.Dir = repoRoot
		cmd.Env = append(cleanEnv(), "GOOS="+p[0], "GOARCH="+p[1], "CGO_ENABLED=0")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("GOOS=%s GOARCH=%s go list: %v", p[0], p[1], err)
		}
		for line := range strings.SplitSeq(strings.TrimSpace(string(out)), "\n") {
			pkg, rest, _ := strings.Cut(line, "\t")
			ignored, imports, _ := strings.Cut(rest, "\t")
			for _, f := range strings.Fields(ignored) {
				if !strings.HasSuffix(f, "_test.go") {
					t.Errorf("%s/%s: %s leaves out %s by a build constraint: the code differs by platform, so run `make dist` (it cross-builds every platform) and make this test cross-build", p[0], p[1], pkg, f)
				}
			}
			for _, imp := range strings.Fields(imports) {
				if imp == "syscall" || strings.HasPrefix(imp, "golang.org/x/sys/") {
					t.Errorf("%s imports %s, whose API differs by platform: run `make dist` and make this test cross-build", pkg, imp)
				}
			}
		}
	}
}
