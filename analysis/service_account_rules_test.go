package analysis

import (
	"slices"
	"testing"
)

// The Terrascan ids of default-service-account (AC_K8S_0113) and
// automount-service-account-token (AC_K8S_0045) make runterrascan.io/skip suppress them, on a
// pod and on a ServiceAccount alike.
func TestTerrascanSkipsServiceAccountRules(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Config{Profile: "all"})
	text := `apiVersion: v1
kind: Pod
metadata:
  name: worker
  annotations:
    runterrascan.io/skip: '[{"rule": "AC_K8S_0045", "comment": "mounted by choice"}]'
spec:
  serviceAccountName: worker
  containers:
  - name: worker
    image: worker:1
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: default
  annotations:
    runterrascan.io/skip: '[{"rule": "AC_K8S_0113", "comment": "legacy namespace"}]'
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: default
  namespace: other
`
	res := analyzeText(t, e, text)
	var suppressed []string
	for _, f := range res.Suppressed {
		suppressed = append(suppressed, f.Rule)
		if f.Suppressed == nil || f.Suppressed.By != "terrascan" {
			t.Errorf("%s suppressed by %+v, want terrascan", f.Rule, f.Suppressed)
		}
	}
	slices.Sort(suppressed)
	if want := []string{"automount-service-account-token", "default-service-account"}; !slices.Equal(suppressed, want) {
		t.Errorf("suppressed %v, want %v", suppressed, want)
	}
	var reported []string
	for _, f := range res.Findings {
		if f.Rule == "default-service-account" || f.Rule == "automount-service-account-token" {
			reported = append(reported, f.Rule+" "+f.Object.Kind+" "+f.Object.Namespace)
		}
	}
	if want := []string{"default-service-account ServiceAccount other"}; !slices.Equal(reported, want) {
		t.Errorf("reported %v, want %v", reported, want)
	}
}
