package helm

import (
	"fmt"
	"os"
	"testing"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/fix"
)

// TestValuesFixesRemoveFindings applies every values fix of the shared charts (default
// values and the insecure overlay) with the existing fixer, renders again with the fixed
// values files as unsaved buffers, and checks that each fixed finding is gone.
func TestValuesFixesRemoveFindings(t *testing.T) {
	e := defaultEngine(t)
	total := 0
	eachSharedVariant(t, func(t *testing.T, v sharedVariant) {
		c, res := checkChart(t, e, v.dir, v.opts)
		set := c.ValuesFixSet(res.Findings)
		var fixed []Finding
		for _, f := range res.Findings {
			if c.ValuesFixes(f) != nil {
				fixed = append(fixed, f)
			}
		}
		buffers := map[string][]byte{}
		for file, fixes := range set.Fixes {
			text, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			edits, failed, err := analysis.FixText(string(text), fixes)
			if err != nil {
				t.Fatalf("fixing %s: %v", file, err)
			}
			for _, ff := range failed {
				t.Errorf("fix %s in %s failed: %v", fixes[ff.Fix].Name, file, ff.Err)
			}
			out, err := fix.ApplyEdits(string(text), edits)
			if err != nil {
				t.Fatalf("applying the fixes to %s: %v", file, err)
			}
			buffers[file] = []byte(out)
		}
		v.opts.Read = func(path string) ([]byte, error) {
			if b, ok := buffers[path]; ok {
				return b, nil
			}
			return os.ReadFile(path)
		}
		_, after := checkChart(t, e, v.dir, v.opts)
		remaining := map[string]bool{}
		for _, f := range after.Findings {
			remaining[findingKey(f)] = true
		}
		for _, f := range fixed {
			if remaining[findingKey(f)] {
				t.Errorf("%s on %s is still there after its values fix", f.Rule, findingKey(f))
			}
		}
		total += len(fixed)
	})
	if total == 0 {
		t.Error("no finding had a values fix")
	}
	t.Logf("%d findings fixed in the values", total)
}

func findingKey(f Finding) string {
	return fmt.Sprintf("%s %s %s %v", f.Rule, f.Manifest.Name, f.Object, f.Path)
}
