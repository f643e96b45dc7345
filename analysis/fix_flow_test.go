package analysis

import (
	"strings"
	"testing"

	"github.com/kube-policy-ls/kube-policy-ls/analysis/fix"
)

// TestFixAllAfterQuoteInFlowList: fix-all on the fuzzer's input reaches a fixed point.
func TestFixAllAfterQuoteInFlowList(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Config{})
	for _, text := range []string{
		"apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n    re~ources: {}\n    securityContext:\n      capabilities:\n        add: [SYS_ADMIN\"00000000] #00000",
		"apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n    args: [don't, stop]\n    securityContext:\n      capabilities:\n        add: [FOO] # why\n",
	} {
		res := analyzeText(t, e, text)
		rep := res.FixAll(nil)
		if len(rep.Failed) > 0 {
			t.Errorf("fixes failed: %v", rep.Failed)
		}
		fixed, err := fix.ApplyEdits(text, rep.Edits)
		if err != nil {
			t.Fatal(err)
		}
		if again := analyzeText(t, e, fixed).FixAll(nil); len(again.Edits) > 0 {
			t.Errorf("a second fix-all still edits:\n%s", fixed)
		}
		if !strings.Contains(fixed, "allowPrivilegeEscalation: false") {
			t.Errorf("fixed text lacks the container's fixes:\n%s", fixed)
		}
	}
}
