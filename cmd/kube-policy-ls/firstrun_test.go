package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// What a new user meets first: the README's rule table, the summary line, --help.

// TestReadmeRuleTable keeps the README's table naming every rule of `kube-policy-ls rules`.
func TestReadmeRuleTable(t *testing.T) {
	t.Parallel()
	_, out, _ := runCLI(t, "", "rules", "--format", "json")
	var rules []struct{ ID string }
	if err := json.Unmarshal([]byte(out), &rules); err != nil || len(rules) == 0 {
		t.Fatalf("rules --format json: %v (%d rules)", err, len(rules))
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	inTable := map[string]bool{}
	// table rows start with "| id[, id...] |"
	for _, m := range regexp.MustCompile(`(?m)^\| ([a-z0-9, -]+) \|`).FindAllStringSubmatch(string(readme), -1) {
		for id := range strings.SplitSeq(m[1], ",") {
			inTable[strings.TrimSpace(id)] = true
		}
	}
	for _, r := range rules {
		if !inTable[r.ID] {
			t.Errorf("README's rule table lacks %s", r.ID)
		}
	}
}

func TestSummaryPlurals(t *testing.T) {
	t.Parallel()
	_, out, _ := runCLI(t, privilegedPod, "check", "--color", "never", "--profile", "pss-baseline", "-")
	if !strings.Contains(out, "1 finding (1 critical) in 1 file (1 object checked)") {
		t.Errorf("summary of one finding in one file:\n%s", out)
	}
	_, out, _ = runCLI(t, privilegedPod+"---\n"+privilegedPod, "check", "--color", "never", "--profile", "pss-baseline", "-")
	if !strings.Contains(out, "2 findings (2 critical) in 1 file (2 objects checked)") {
		t.Errorf("summary of two findings:\n%s", out)
	}
}
