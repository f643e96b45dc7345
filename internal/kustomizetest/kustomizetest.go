// Package kustomizetest holds the Kustomize tree that the tests of analysis/kustomize, lsp and
// the CLI build: a base Deployment, a strategic-merge patch that makes its container
// privileged, and overlays that use them. The tests assert lines and columns of these texts,
// so each text is written once, here; a test that needs a variation (another UID, a field
// less, a container more) derives it from them and says so. The trees are maps of slash paths
// to texts: each package writes them with the writer it already uses for its other trees.
package kustomizetest

import (
	"path"
	"strings"
)

// Deployment is Deployment web, container app, that passes the default profile: every
// finding of a tree built on it comes from what its overlays change. runAsUser is line 16.
const Deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      automountServiceAccountToken: false
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        runAsGroup: 10001
        seccompProfile: {type: RuntimeDefault}
        appArmorProfile: {type: RuntimeDefault}
      containers:
      - name: app
        image: nginx:1.25
        imagePullPolicy: Always
        securityContext:
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
          capabilities: {drop: [ALL]}
        resources:
          limits: {cpu: 500m, memory: 512Mi}
          requests: {cpu: 100m, memory: 128Mi}
`

// PrivilegedPatch is a strategic-merge patch of Deployment web that makes container app
// privileged: "privileged: true" is line 11, its value at column 11. Appending list items
// at its end adds containers.
const PrivilegedPatch = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: app
        securityContext:
          privileged: true
`

// Base is the tree of base/: a kustomization listing deploy.yaml, which holds deploy.
func Base(deploy string) map[string]string {
	return map[string]string{
		"base/kustomization.yaml": "resources:\n- deploy.yaml\n",
		"base/deploy.yaml":        deploy,
	}
}

// AddPrivilegedOverlay adds to files (a tree with base/) the overlay dir (a slash path
// relative to the tree's root): a kustomization that builds the base with the patch
// privileged.yaml, which holds PrivilegedPatch. The base is line 2 of the kustomization.
func AddPrivilegedOverlay(files map[string]string, dir string) {
	toRoot := strings.Repeat("../", strings.Count(path.Clean(dir), "/")+1)
	files[path.Join(dir, "kustomization.yaml")] = "resources:\n- " + toRoot + "base\npatches:\n- path: privileged.yaml\n"
	files[path.Join(dir, "privileged.yaml")] = PrivilegedPatch
}

// SharedComponentPatch is the patch pid.yaml of the component comp/ that SharedComponent
// writes: it sets hostPID (line 9), and two suppression comments name rules: host-ipc on line
// 4 (column 13), which no overlay has a finding of, and host-pid on line 8 (column 7).
const SharedComponentPatch = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web # kube-policy-ls ignore host-ipc -- nothing to suppress
spec:
  template:
    spec:
      # kube-policy-ls ignore host-pid -- the debug overlay
      hostPID: true
`

// SharedComponent is a tree with base/ (Base of deploy), the component comp/ with
// SharedComponentPatch, and two overlays that use both: debug/, and prod/, whose own patch
// sets hostPID back to false. The host-pid comment suppresses a finding of debug only.
func SharedComponent(deploy string) map[string]string {
	files := Base(deploy)
	files["comp/kustomization.yaml"] = "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n- path: pid.yaml\n"
	files["comp/pid.yaml"] = SharedComponentPatch
	files["debug/kustomization.yaml"] = "resources:\n- ../base\ncomponents:\n- ../comp\n"
	files["prod/kustomization.yaml"] = "resources:\n- ../base\ncomponents:\n- ../comp\npatches:\n- path: nopid.yaml\n"
	files["prod/nopid.yaml"] = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      hostPID: false\n"
	return files
}
