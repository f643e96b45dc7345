package kustomize

import (
	"context"
	"maps"
	"os"
	"strings"
	"testing"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
	"github.com/kube-policy-ls/kube-policy-ls/internal/kustomizetest"
)

// overlayTree is a base and an overlay prod/ that changes it with every kind of patch and
// transformer: a strategic-merge patch file (which also adds a container), a JSON 6902 patch
// file, inline JSON 6902 and strategic-merge patches, images, replicas, namePrefix, and a
// component with a patch of its own.
var overlayTree = func() map[string]string {
	files := kustomizetest.Base(kustomizetest.Deployment)
	maps.Copy(files, map[string]string{
		"comp/kustomization.yaml": `apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
patches:
- path: pid.yaml
`,
		"comp/pid.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      hostPID: true
`,
		"prod/kustomization.yaml": `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namePrefix: prod-
resources:
- ../base
components:
- ../comp
patches:
- path: privileged.yaml
- path: hostnet.yaml
  target: {kind: Deployment, name: web}
- target:
    kind: Deployment
  patch: |-
    - op: replace
      path: /spec/template/spec/containers/0/securityContext/allowPrivilegeEscalation
      value: true
- patch: |-
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
    spec:
      template:
        spec:
          hostIPC: true
images:
- name: nginx
  newTag: latest
replicas:
- name: web
  count: 3
`,
		"prod/privileged.yaml": kustomizetest.PrivilegedPatch + "      - name: sidecar\n        image: busybox:1.36\n",
		"prod/hostnet.yaml": `- op: add
  path: /spec/template/spec/hostNetwork
  value: true
- op: remove
  path: /spec/template/spec/containers/0/securityContext/capabilities
`,
	})
	return files
}()

func newEngine(t testing.TB, profile string) *analysis.Engine {
	t.Helper()
	e, err := analysis.NewEngine(context.Background(), analysis.Config{Profile: profile})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func buildCheck(t testing.TB, root string, e *analysis.Engine, read ReadFunc) (*Built, *Checked) {
	t.Helper()
	b, err := Build(context.Background(), root, Options{Read: read})
	if err != nil {
		t.Fatal(err)
	}
	c, err := b.Check(context.Background(), e, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b, c
}

// lineOf returns line n (1-based) of file.
func lineOf(t testing.TB, file string, n int) string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	if n < 1 || n > len(lines) {
		t.Fatalf("%s has no line %d", file, n)
	}
	return lines[n-1]
}
