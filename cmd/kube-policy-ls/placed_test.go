package main

import (
	"maps"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kube-policy-ls/kube-policy-ls/internal/testtree"
)

// placedTree is a chart and an overlay, each with a suppressed finding and reported ones: a
// chart's field set from its values, an overlay's set by a patch.
var placedTree = map[string]string{
	"app/Chart.yaml":  "apiVersion: v2\nname: app\nversion: 0.1.0\n",
	"app/values.yaml": "privileged: true\n",
	"app/templates/pod.yaml": `apiVersion: v1
kind: Pod
metadata:
  name: job
  annotations:
    ignore.kube-policy-ls.io/host-network: "needs the node's network"
spec:
  hostNetwork: true
  containers:
  - name: c
    image: busybox:1.36
    securityContext:
      privileged: {{ .Values.privileged }}
`,
	"ov/base/kustomization.yaml": "resources:\n  - pod.yaml\n",
	"ov/base/pod.yaml":           "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: c\n    image: nginx:1.27\n",
	"ov/dev/kustomization.yaml":  "resources:\n  - ../base\npatches:\n  - path: host.yaml\n",
	"ov/dev/host.yaml": `apiVersion: v1
kind: Pod
metadata:
  name: web
  annotations:
    ignore.kube-policy-ls.io/host-pid: "debugging"
spec:
  hostPID: true
  containers:
  - name: c
    securityContext:
      capabilities:
        add: [NET_ADMIN,
          SYS_ADMIN]
`,
}

// A chart's and an overlay's findings print alike: at the file line, the chart's values key
// or the overlay after the message, the suppressed ones only when asked, one summary.
func TestCheckPlacedText(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	testtree.Write(t, dir, placedTree)
	chart, overlay := filepath.Join(dir, "app"), filepath.Join(dir, "ov", "dev")
	privileged := `app/templates/pod.yaml:13:7: critical privileged-container: container "c" sets securityContext.privileged: true (values: app/values.yaml:1:1 privileged)
        privileged: {{ .Values.privileged }}
        ^~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
`
	capabilities := `ov/dev/host.yaml:13:15: medium capabilities-added: container "c" adds capability NET_ADMIN (securityContext.capabilities.add), outside the allowed set: the Pod Security Standards baseline set (overlay ov/dev)
          add: [NET_ADMIN,
                ^~~~~~~~~
ov/dev/host.yaml:14:11: critical cap-sys-admin: container "c" adds capability SYS_ADMIN (securityContext.capabilities.add) (overlay ov/dev)
            SYS_ADMIN]
            ^~~~~~~~~
`
	summary := "3 findings (2 critical, 1 medium) in 2 files (2 objects checked), 2 suppressed\n"
	for _, tc := range []struct {
		flag, want string
	}{
		{"--show-suppressed=false", privileged + capabilities + summary},
		{"--show-suppressed", `app/templates/pod.yaml:8:3: high host-network: pod spec sets hostNetwork: true [suppressed by annotation: needs the node's network]
    hostNetwork: true
    ^~~~~~~~~~~~~~~~~
` + privileged + `ov/dev/host.yaml:8:3: high host-pid: pod spec sets hostPID: true (overlay ov/dev) [suppressed by annotation: debugging]
    hostPID: true
    ^~~~~~~~~~~~~
` + capabilities + summary},
	} {
		code, out, errOut := runCLI(t, "", "check", "--profile", "pss-baseline", tc.flag, chart, overlay)
		if code != 1 {
			t.Fatalf("%s: exit %d, want 1\n%s%s", tc.flag, code, out, errOut)
		}
		if got := filepath.ToSlash(strings.ReplaceAll(out, dir+string(filepath.Separator), "")); got != tc.want {
			t.Errorf("%s: got\n%s\nwant\n%s", tc.flag, got, tc.want)
		}
	}
	want := map[string]int{"files": 2, "objects": 2, "findings": 3, "suppressed": 2}
	if got := checkSummary(t, "--profile", "pss-baseline", chart, overlay); !maps.Equal(got, want) {
		t.Errorf("JSON summary %v, want %v as the text summary counts", got, want)
	}
}
