package analysis

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kube-policy-ls/kube-policy-ls/internal/shareddata"
)

// TestPSSConformance runs the official Pod Security Standards fixtures: with profile
// pss-<level>, every fail/ fixture gets a finding from a rule mapped to the check its name
// gives, and every pass/ fixture gets no finding at all.
func TestPSSConformance(t *testing.T) {
	t.Parallel()
	root := filepath.Join(shareddata.Path(t, "conformance/pss"), "conformance", "pss")
	total := 0
	for _, level := range []string{"baseline", "restricted"} {
		e := newTestEngine(t, Config{Profile: "pss-" + level})
		byCheck := map[string][]string{} // lower-case PSS check id -> rule ids
		for _, r := range e.Rules() {
			for _, check := range r.PSS {
				byCheck[strings.ToLower(check)] = append(byCheck[strings.ToLower(check)], r.ID)
			}
		}
		for _, outcome := range []string{"pass", "fail"} {
			files, err := filepath.Glob(filepath.Join(root, level, outcome, "*.yaml"))
			if err != nil || len(files) == 0 {
				t.Fatalf("no fixtures in %s/%s: %v", level, outcome, err)
			}
			for _, file := range files {
				total++
				name := strings.TrimSuffix(filepath.Base(file), ".yaml")
				check := strings.TrimRight(name, "0123456789")
				data, err := os.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				res, err := e.Analyze(context.Background(), Input{Path: file, Text: string(data)}, nil)
				if err != nil {
					t.Fatal(err)
				}
				if outcome == "pass" {
					for _, f := range res.Findings {
						t.Errorf("%s/pass/%s: unexpected %s: %s", level, name, f.Rule, f.Message)
					}
					continue
				}
				rules := byCheck[check]
				if len(rules) == 0 {
					t.Errorf("%s/fail/%s: no rule maps to PSS check %q", level, name, check)
					continue
				}
				found := false
				for _, f := range res.Findings {
					for _, id := range rules {
						found = found || f.Rule == id
					}
				}
				if !found {
					t.Errorf("%s/fail/%s: no finding from %v (check %s); got %d other findings", level, name, rules, check, len(res.Findings))
				}
			}
		}
	}
	if total != 148 {
		t.Errorf("checked %d fixtures, want all 148", total)
	}
}
