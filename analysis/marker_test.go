package analysis

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestMarkers checks the findings of testdata/markers/*.yaml against the comments in them:
// "# want: rule" says a finding of that rule starts on this line, and rule="text" also says
// exactly what it highlights. "# only: a b" on the first line limits the rules compared;
// "# profile: p" picks the profile. Every finding must be wanted and every want found.
func TestMarkers(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("testdata", "markers", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no marker files: %v", err)
	}
	wantRe := regexp.MustCompile(`([a-z0-9-]+)(?:="([^"]*)")?`)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			text := string(data)
			cfg := Config{}
			var only []string
			want := map[string]bool{} // "line rule text"
			for i, line := range strings.Split(text, "\n") {
				if rest, ok := strings.CutPrefix(line, "# only: "); ok && i == 0 {
					only = strings.Fields(rest)
				}
				if rest, ok := strings.CutPrefix(line, "# profile: "); ok {
					cfg.Profile = strings.TrimSpace(rest)
				}
				if _, marks, ok := strings.Cut(line, "# want: "); ok {
					for _, m := range wantRe.FindAllStringSubmatch(marks, -1) {
						want[fmt.Sprintf("%d %s %s", i+1, m[1], m[2])] = true
					}
				}
			}
			res := analyzeText(t, newTestEngine(t, cfg), text)
			got := map[string]bool{}
			for _, f := range res.Findings {
				if len(only) > 0 && !slices.Contains(only, f.Rule) {
					continue
				}
				line := res.Mapper.LineOf(f.Range.Start) + 1
				key := fmt.Sprintf("%d %s %s", line, f.Rule, text[f.Range.Start:f.Range.End])
				if !want[key] && !want[fmt.Sprintf("%d %s ", line, f.Rule)] {
					t.Errorf("unexpected finding at line %d: %s highlighting %q (%s)", line, f.Rule, text[f.Range.Start:f.Range.End], f.Message)
				}
				got[key] = true
				got[fmt.Sprintf("%d %s ", line, f.Rule)] = true
			}
			for w := range want {
				if !got[w] {
					t.Errorf("missing finding: line/rule/text %q", w)
				}
			}
		})
	}
}
