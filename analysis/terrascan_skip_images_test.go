package analysis

import (
	"fmt"
	"slices"
	"testing"
)

// Terrascan's runterrascan.io/skip suppresses the image, probe and namespace rules of
// RULES-NEXT.md through the Terrascan ids in their METADATA, and only the rule it names.
func TestTerrascanSkipImageProbeNamespaceRules(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Config{Profile: "all"})
	deployment := func(skip string) string {
		return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
  annotations:
    runterrascan.io/skip: '[{"rule": %q, "comment": "accepted"}]'
spec:
  template:
    spec:
      containers:
      - name: web
        image: nginx:1.25
      - name: edge
        image: nginx
`, skip)
	}
	count := func(ids []string, id string) (n int) {
		for _, x := range ids {
			if x == id {
				n++
			}
		}
		return n
	}
	rules := []string{"image-latest-tag", "image-digest", "image-pull-policy", "liveness-probe", "readiness-probe", "default-namespace"}
	for id, rule := range map[string]string{
		"AC_K8S_0068": "image-latest-tag",
		"AC_K8S_0069": "image-digest",
		"AC_K8S_0021": "image-pull-policy",
		"AC_K8S_0070": "liveness-probe",
		"AC_K8S_0072": "readiness-probe",
		"AC_K8S_0086": "default-namespace",
	} {
		res := analyzeText(t, e, deployment(id))
		reported, suppressed := rulesOf(res.Findings), rulesOf(res.Suppressed)
		for _, f := range res.Suppressed {
			if f.Rule != rule || f.Suppressed == nil || f.Suppressed.By != "terrascan" || f.Suppressed.Reason != "accepted" {
				t.Errorf("%s: suppressed %s by %+v, want only %s by terrascan", id, f.Rule, f.Suppressed, rule)
			}
		}
		if !slices.Contains(suppressed, rule) || slices.Contains(reported, rule) {
			t.Errorf("%s: %s reported %d times, suppressed %d times", id, rule, count(reported, rule), count(suppressed, rule))
		}
		for _, other := range rules {
			if other != rule && !slices.Contains(reported, other) {
				t.Errorf("%s: %s is not reported any more", id, other)
			}
		}
	}
}
