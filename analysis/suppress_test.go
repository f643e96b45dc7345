package analysis

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSuppressions(t *testing.T) {
	now = func() time.Time { return time.Date(2027, 1, 15, 12, 0, 0, 0, time.UTC) }
	t.Cleanup(func() { now = time.Now })
	e := newTestEngine(t, Config{Profile: "pss-baseline"})
	pod := func(annotations, spec string) string {
		return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n" + annotations + "spec:\n" + spec + "  containers: []\n"
	}
	tests := []struct {
		name       string
		text       string
		reported   []string // rules of the reported findings
		suppressed []string // rules of the suppressed findings
		by         string
		msg        string // in a reported finding's message
	}{
		{
			name:       "annotation with a reason",
			text:       pod("    ignore.kube-policy-ls.io/host-pid: \"debug agent needs it\"\n", "  hostPID: true\n"),
			suppressed: []string{"host-pid"}, by: "annotation",
		},
		{
			name:     "annotation without a reason does not suppress",
			text:     pod("    ignore.kube-policy-ls.io/host-pid: \"\"\n", "  hostPID: true\n"),
			reported: []string{"host-pid", RuleInvalidSuppression}, msg: "has no reason",
		},
		{
			name:       "not yet expired",
			text:       pod("    ignore.kube-policy-ls.io/host-pid: \"migration; expires=2027-01-15\"\n", "  hostPID: true\n"),
			suppressed: []string{"host-pid"}, by: "annotation",
		},
		{
			name:     "expired",
			text:     pod("    ignore.kube-policy-ls.io/host-pid: \"migration; expires=2027-01-14\"\n", "  hostPID: true\n"),
			reported: []string{"host-pid", RuleInvalidSuppression}, msg: "expired on 2027-01-14",
		},
		{
			name:     "unknown rule, closest suggested",
			text:     pod("    ignore.kube-policy-ls.io/host-pdi: \"typo\"\n", "  hostPID: true\n"),
			reported: []string{"host-pid", RuleInvalidSuppression}, msg: `did you mean "host-pid"`,
		},
		{
			name:     "unused",
			text:     pod("    ignore.kube-policy-ls.io/host-ipc: \"old exception\"\n", "  hostPID: true\n"),
			reported: []string{"host-pid", RuleUnusedSuppression}, msg: "unused suppression",
		},
		{
			name:       "comment on the line above",
			text:       pod("    a: b\n", "  # kube-policy-ls ignore host-pid,host-ipc -- node agent\n  hostPID: true\n  hostIPC: true\n"),
			reported:   []string{"host-ipc"},
			suppressed: []string{"host-pid"}, by: "comment",
		},
		{
			name:       "comment on the same line",
			text:       pod("    a: b\n", "  hostPID: true # kube-policy-ls ignore host-pid -- node agent\n"),
			suppressed: []string{"host-pid"}, by: "comment",
		},
		{
			name:     "comment without a reason",
			text:     pod("    a: b\n", "  hostPID: true # kube-policy-ls ignore host-pid\n"),
			reported: []string{"host-pid", RuleInvalidSuppression}, msg: `add one after "--"`,
		},
		{
			name:       "terrascan skip",
			text:       pod("    runterrascan.io/skip: '[{\"rule\": \"AC_K8S_0082\", \"comment\": \"legacy\"}]'\n", "  hostPID: true\n"),
			suppressed: []string{"host-pid"}, by: "terrascan",
		},
		{
			name:     "terrascan skip that is not JSON",
			text:     pod("    runterrascan.io/skip: 'AC_K8S_0082'\n", "  hostPID: true\n"),
			reported: []string{"host-pid", RuleInvalidSuppression}, msg: "not a JSON list",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := analyzeText(t, e, tt.text)
			var reported, suppressed []string
			for _, f := range res.Findings {
				reported = append(reported, f.Rule)
				if tt.msg != "" && (f.Rule == RuleInvalidSuppression || f.Rule == RuleUnusedSuppression) && !strings.Contains(f.Message, tt.msg) {
					t.Errorf("%s message %q lacks %q", f.Rule, f.Message, tt.msg)
				}
			}
			for _, f := range res.Suppressed {
				suppressed = append(suppressed, f.Rule)
				if f.Suppressed == nil || f.Suppressed.By != tt.by || f.Suppressed.Reason == "" {
					t.Errorf("suppression record %+v, want by %s with a reason", f.Suppressed, tt.by)
				}
			}
			slices.Sort(reported)
			slices.Sort(tt.reported)
			if !slices.Equal(reported, tt.reported) || !slices.Equal(suppressed, tt.suppressed) {
				t.Errorf("reported %v suppressed %v; want %v and %v", reported, suppressed, tt.reported, tt.suppressed)
			}
		})
	}
}

func TestSuppressionOnPodTemplate(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Config{Profile: "pss-baseline"})
	text := `apiVersion: batch/v1
kind: CronJob
metadata: {name: c}
spec:
  schedule: "* * * * *"
  jobTemplate:
    spec:
      template:
        metadata:
          annotations:
            ignore.kube-policy-ls.io/host-network: "scrapes node metrics"
        spec:
          hostNetwork: true
          containers: []
`
	res := analyzeText(t, e, text)
	if len(res.Findings) != 0 || len(res.Suppressed) != 1 || res.Suppressed[0].Rule != "host-network" {
		t.Errorf("reported %v, suppressed %v", rulesOf(res.Findings), rulesOf(res.Suppressed))
	}
	// the annotation applies to its own object only
	two := text + "---\napiVersion: v1\nkind: Pod\nmetadata: {name: other}\nspec:\n  hostNetwork: true\n  containers: []\n"
	res = analyzeText(t, e, two)
	if len(res.Findings) != 1 || res.Findings[0].Object.Name != "other" {
		t.Errorf("second object: reported %v", rulesOf(res.Findings))
	}
}
