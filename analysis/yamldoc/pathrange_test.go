package yamldoc

import (
	"strings"
	"testing"
)

func TestPathRange(t *testing.T) {
	t.Parallel()
	const deploy = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: web   # the app
        image: nginx
        securityContext:
          privileged: true
          capabilities:
            add: [NET_RAW, SYS_ADMIN]
        args:
        - |
          multi
          line
      - image: envoy
        name: side
        resources: {}
      volumes:
      - name: sock
        hostPath: {path: /var/run/docker.sock}
`
	tests := []struct {
		name string
		text string
		path []any
		want string // the highlighted text
	}{
		{"scalar field: key to value", deploy, []any{"spec", "template", "spec", "containers", 0, "securityContext", "privileged"}, "privileged: true"},
		{"block mapping: key only", deploy, []any{"spec", "template", "spec", "containers", 0, "securityContext"}, "securityContext"},
		{"flow list entry", deploy, []any{"spec", "template", "spec", "containers", 0, "securityContext", "capabilities", "add", 1}, "SYS_ADMIN"},
		{"flow list: key and value", deploy, []any{"spec", "template", "spec", "containers", 0, "securityContext", "capabilities", "add"}, "add: [NET_RAW, SYS_ADMIN]"},
		{"missing container field: the entry's name line", deploy, []any{"spec", "template", "spec", "containers", 0, "resources", "limits", "cpu"}, "- name: web"},
		{"name not first: the entry's first line", deploy, []any{"spec", "template", "spec", "containers", 1, "securityContext", "runAsNonRoot"}, "- image: envoy"},
		{"missing field under an empty flow mapping: the container", deploy, []any{"spec", "template", "spec", "containers", 1, "resources", "limits", "cpu"}, "- image: envoy"},
		{"missing field under an existing pod securityContext: the pod spec key", "kind: Pod\nspec:\n  securityContext:\n    runAsUser: 1\n", []any{"spec", "securityContext", "runAsNonRoot"}, "spec"},
		{"missing PSP annotation: the nearest key", "kind: PodSecurityPolicy\nmetadata:\n  name: p\n", []any{"metadata", "annotations", "x"}, "metadata"},
		{"missing pod-level field: the pod spec key", deploy, []any{"spec", "template", "spec", "securityContext", "runAsNonRoot"}, "spec"},
		{"block scalar entry", deploy, []any{"spec", "template", "spec", "containers", 0, "args", 0}, "|\n          multi\n          line"},
		{"flow mapping value field", deploy, []any{"spec", "template", "spec", "volumes", 0, "hostPath", "path"}, "path: /var/run/docker.sock"},
		{"missing top-level field: kind", deploy, []any{"status"}, "kind: Deployment"},
		{"anchor: starts at the key", "kind: Pod\nspec: &s\n  hostPID: true\n", []any{"spec", "hostPID"}, "hostPID: true"},
		{"merge key provides the field", "kind: Pod\nbase: &b {hostPID: true}\nspec:\n  <<: *b\n  x: 1\n", []any{"spec", "hostPID"}, "<<: *b"},
		{"alias value", "kind: Pod\nv: &t true\nspec:\n  hostPID: *t\n", []any{"spec", "hostPID"}, "hostPID: *t"},
		{"quoted value", "kind: Pod\nspec:\n  host: \"a \\\" b\"  # c\n", []any{"spec", "host"}, `host: "a \" b"`},
		{"single-quoted value", "kind: Pod\nspec:\n  host: 'it''s'\n", []any{"spec", "host"}, `host: 'it''s'`},
		{"tagged value", "kind: Pod\nspec:\n  hostPID: !!bool true\n", []any{"spec", "hostPID"}, "hostPID: !!bool true"},
		{"empty value", "kind: Pod\nspec:\n  hostPID:\n  x: 1\n", []any{"spec", "hostPID"}, "hostPID:"},
		{"multi-line plain scalar", "kind: Pod\nspec:\n  msg: one\n    two\n  x: 1\n", []any{"spec", "msg"}, "msg"},
		{"unicode before the field", "kind: Pod\nspec: {é😀: 1, hostPID: true}\n", []any{"spec", "hostPID"}, "hostPID: true"},
		{"JSON", "{\"kind\": \"Pod\", \"spec\": {\"hostPID\": true}}", []any{"spec", "hostPID"}, `"hostPID": true`},
		{"flush sequence entry", "kind: Pod\nspec:\n  containers:\n  - name: a\n    image: x\n", []any{"spec", "containers", 0, "securityContext"}, "- name: a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := SplitDocuments(tt.text)[0]
			d.Parse()
			if d.Err != nil {
				t.Fatal(d.Err)
			}
			r := d.PathRange(Object{Node: d.Root}, tt.path)
			if got := tt.text[r.Start:r.End]; got != tt.want {
				t.Errorf("PathRange(%v) highlights %q, want %q", tt.path, got, tt.want)
			}
		})
	}
}

func TestPathRangeListItems(t *testing.T) {
	t.Parallel()
	text := "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n  spec:\n    hostPID: true\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: b}\n  spec:\n    containers: []\n"
	d := SplitDocuments(text)[0]
	d.Parse()
	objs := d.Objects()
	if len(objs) != 2 || objs[0].Ref.Name != "a" || objs[1].Ref.Name != "b" {
		t.Fatalf("objects = %+v", objs)
	}
	if r := d.PathRange(objs[0], []any{"spec", "hostPID"}); text[r.Start:r.End] != "hostPID: true" {
		t.Errorf("item 0 field: %q", text[r.Start:r.End])
	}
	if r := d.PathRange(objs[1], []any{"spec", "hostNetwork"}); text[r.Start:r.End] != "spec" || r.Start < strings.Index(text, "name: b") {
		t.Errorf("item 1 missing field: %q at %d", text[r.Start:r.End], r.Start)
	}
	if r := d.PathRange(objs[1], []any{"status"}); text[r.Start:r.End] != "- apiVersion: v1" || r.Start < strings.Index(text, "name: a") {
		t.Errorf("item 1 missing top-level field: %q at %d", text[r.Start:r.End], r.Start)
	}
}

func TestPathRangeBOM(t *testing.T) {
	t.Parallel()
	text := "\ufeffkind: Pod\nspec: {hostPID: true}\n"
	d := SplitDocuments(text)[0]
	d.Parse()
	if r := d.PathRange(Object{Node: d.Root}, []any{"status"}); text[r.Start:r.End] != "kind: Pod" {
		t.Errorf("after a BOM: %q", text[r.Start:r.End])
	}
}
