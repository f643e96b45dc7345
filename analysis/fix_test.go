package analysis

import (
	"context"
	"strings"
	"testing"

	"github.com/kube-policy-ls/kube-policy-ls/analysis/fix"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"
)

// applyOps applies fix operations (object-relative to the object at item) to the first
// document of text, as one finding's fix, and returns the new text.
func applyOps(t *testing.T, text string, item []any, ops ...fix.Op) (string, error) {
	t.Helper()
	docs := yamldoc.SplitDocuments(text)
	d := docs[0]
	d.Parse()
	if d.Err != nil {
		t.Fatalf("input does not parse: %v", d.Err)
	}
	s := fix.NewSession(d, toValue)
	if err := s.Apply([]fix.Fix{{Name: "test", Item: item, Ops: ops}}, nil); err != nil {
		return "", err
	}
	out, err := fix.ApplyEdits(text, s.Edits())
	if err != nil {
		t.Fatal(err)
	}
	return out, nil
}

func set(path []any, v any) fix.Op { return fix.Op{Op: "set", Path: path, Value: v} }
func remove(path []any) fix.Op     { return fix.Op{Op: "remove", Path: path} }
func add(path []any, v any) fix.Op { return fix.Op{Op: "add", Path: path, Value: v} }
func p(parts ...any) []any         { return parts }

func TestFixOperations(t *testing.T) {
	t.Parallel()
	sc := p("spec", "containers", 0, "securityContext")
	tests := []struct {
		name, in, want string
		ops            []fix.Op
		item           []any
	}{
		{
			name: "empty value becomes a block",
			in:   "spec:\n  containers:\n  - name: a\n    securityContext:\n    image: x\n",
			ops:  []fix.Op{set(append(sc, "readOnlyRootFilesystem"), true)},
			want: "spec:\n  containers:\n  - name: a\n    securityContext:\n      readOnlyRootFilesystem: true\n    image: x\n",
		},
		{
			name: "explicit null keeps its comment on the key's line",
			in:   "spec:\n  containers:\n  - name: a\n    securityContext: ~ # none yet\n",
			ops:  []fix.Op{set(append(sc, "privileged"), false)},
			want: "spec:\n  containers:\n  - name: a\n    securityContext: # none yet\n      privileged: false\n",
		},
		{
			name: "empty flow mapping expands below its key",
			in:   "spec:\n  containers:\n    - name: a\n      resources: {}   # to do\n      image: x\n",
			ops:  []fix.Op{set(p("spec", "containers", 0, "resources", "limits", "cpu"), "500m")},
			want: "spec:\n  containers:\n    - name: a\n      resources:   # to do\n        limits:\n          cpu: 500m\n      image: x\n",
		},
		{
			name: "flow mapping over several lines gets a flow entry",
			in:   "spec:\n  containers:\n  - {name: a,\n     securityContext: {privileged: true}}\n",
			ops:  []fix.Op{set(append(sc, "runAsUser"), 10001)},
			want: "spec:\n  containers:\n  - {name: a,\n     securityContext: {privileged: true, runAsUser: 10001}}\n",
		},
		{
			name: "quoting of the replaced value is kept",
			in:   "spec:\n  securityContext:\n    seccompProfile:\n      type: \"Unconfined\" # legacy\n",
			ops:  []fix.Op{set(p("spec", "securityContext", "seccompProfile", "type"), "RuntimeDefault")},
			want: "spec:\n  securityContext:\n    seccompProfile:\n      type: \"RuntimeDefault\" # legacy\n",
		},
		{
			name: "a tag goes with the value, an anchor stays",
			in:   "spec:\n  containers:\n  - name: a\n    securityContext:\n      privileged: &p !!bool true\n",
			ops:  []fix.Op{set(append(sc, "privileged"), false)},
			want: "spec:\n  containers:\n  - name: a\n    securityContext:\n      privileged: &p false\n",
		},
		{
			name: "a string that reads as another type is quoted",
			in:   "metadata:\n  name: a\n",
			ops:  []fix.Op{set(p("metadata", "annotations", "x"), "true"), set(p("metadata", "annotations", "y"), "1"), set(p("metadata", "annotations", "z"), ""), set(p("metadata", "annotations", "w"), "yes")},
			// "y" is a YAML 1.1 boolean, even as a key.
			want: "metadata:\n  name: a\n  annotations:\n    x: \"true\"\n    \"y\": \"1\"\n    z: \"\"\n    w: \"yes\"\n",
		},
		{
			name: "the leaf of a merge is overridden on the mapping itself",
			in:   "base: &base\n  privileged: true\nspec:\n  containers:\n  - name: a\n    securityContext:\n      <<: *base\n",
			ops:  []fix.Op{set(append(sc, "privileged"), false)},
			want: "base: &base\n  privileged: true\nspec:\n  containers:\n  - name: a\n    securityContext:\n      <<: *base\n      privileged: false\n",
		},
		{
			name: "removing the last key of a text without a final newline",
			in:   "spec:\n  hostPID: true\n  hostNetwork: true",
			ops:  []fix.Op{remove(p("spec", "hostNetwork"))},
			want: "spec:\n  hostPID: true",
		},
		{
			name: "removing the last key keeps its comment, without a final newline",
			in:   "spec:\n  hostPID: true\n  hostNetwork: true # CNI",
			ops:  []fix.Op{remove(p("spec", "hostNetwork"))},
			want: "spec:\n  hostPID: true\n  # CNI",
		},
		{
			name: "the first key after a dash hands its line to the next key",
			in:   "spec:\n  containers:\n  - name: a\n    ports:\n    - hostPort: 80 # direct\n      # the port\n      containerPort: 80\n",
			ops:  []fix.Op{remove(p("spec", "containers", 0, "ports", 0, "hostPort"))},
			want: "spec:\n  containers:\n  - name: a\n    ports:\n    # direct\n    # the port\n    - containerPort: 80\n",
		},
		{
			name: "an emptied list and mapping go, up to the object",
			in:   "spec:\n  containers:\n  - name: a\n    securityContext:\n      capabilities:\n        add: [SYS_ADMIN]\n  hostNetwork: true\n",
			ops:  []fix.Op{remove(append(sc, "capabilities", "add", 0))},
			want: "spec:\n  containers:\n  - name: a\n  hostNetwork: true\n",
		},
		{
			name: "an emptied mapping of the object itself goes",
			in:   "kind: Pod\nspec:\n  hostNetwork: true\n",
			ops:  []fix.Op{remove(p("spec", "hostNetwork"))},
			want: "kind: Pod\n",
		},
		{
			name: "flow list entries go with their comma",
			in:   "spec:\n  containers:\n  - name: a\n    securityContext:\n      capabilities: {add: [SYS_ADMIN, NET_RAW, CHOWN]}\n",
			ops:  []fix.Op{remove(append(sc, "capabilities", "add", 2)), remove(append(sc, "capabilities", "add", 0))},
			want: "spec:\n  containers:\n  - name: a\n    securityContext:\n      capabilities: {add: [NET_RAW]}\n",
		},
		{
			name: "removals shift the later entries of their list",
			in:   "spec:\n  securityContext:\n    sysctls:\n    - name: a\n    - name: b\n    - name: c\n",
			ops:  []fix.Op{remove(p("spec", "securityContext", "sysctls", 0)), remove(p("spec", "securityContext", "sysctls", 1))},
			// Both paths name entries of the original list: a and b.
			want: "spec:\n  securityContext:\n    sysctls:\n    - name: c\n",
		},
		{
			name: "added items are quoted like the others",
			in:   "spec:\n  containers:\n  - name: a\n    securityContext:\n      capabilities:\n        drop:\n          - 'NET_RAW'\n",
			ops:  []fix.Op{add(append(sc, "capabilities", "drop"), "ALL")},
			want: "spec:\n  containers:\n  - name: a\n    securityContext:\n      capabilities:\n        drop:\n          - 'NET_RAW'\n          - 'ALL'\n",
		},
		{
			name: "adding to an empty flow list expands it",
			in:   "spec:\n  containers:\n  - name: a\n    securityContext:\n      capabilities:\n        drop: []\n",
			ops:  []fix.Op{add(append(sc, "capabilities", "drop"), "ALL")},
			want: "spec:\n  containers:\n  - name: a\n    securityContext:\n      capabilities:\n        drop:\n        - ALL\n",
		},
		{
			name: "adding to a flow list",
			in:   "spec:\n  containers:\n  - name: a\n    securityContext:\n      capabilities: {drop: [\"NET_RAW\"]}\n",
			ops:  []fix.Op{add(append(sc, "capabilities", "drop"), "ALL")},
			want: "spec:\n  containers:\n  - name: a\n    securityContext:\n      capabilities: {drop: [\"NET_RAW\", \"ALL\"]}\n",
		},
		{
			name: "a scalar where a list belongs becomes the list",
			in:   "spec:\n  containers:\n  - name: a\n    securityContext:\n      capabilities:\n        drop: NET_RAW # wrong\n",
			ops:  []fix.Op{set(append(sc, "capabilities", "drop"), []any{"ALL"})},
			want: "spec:\n  containers:\n  - name: a\n    securityContext:\n      capabilities:\n        drop: # wrong\n        - ALL\n",
		},
		{
			name: "a mapping set over a mapping replaces it key by key",
			in:   "spec:\n  securityContext:\n    seccompProfile:\n      type: Localhost\n      localhostProfile: x.json\n",
			ops:  []fix.Op{set(p("spec", "securityContext", "seccompProfile"), map[string]any{"type": "RuntimeDefault"})},
			want: "spec:\n  securityContext:\n    seccompProfile:\n      type: RuntimeDefault\n",
		},
		{
			name: "inside a List item",
			in:   "kind: List\nitems:\n- kind: Pod\n  spec:\n    hostPID: true\n- kind: Pod\n  spec:\n    hostPID: true\n",
			item: p("items", 1),
			ops:  []fix.Op{remove(p("spec", "hostPID"))},
			want: "kind: List\nitems:\n- kind: Pod\n  spec:\n    hostPID: true\n- kind: Pod\n",
		},
		{
			name: "after a block scalar",
			in:   "spec:\n  containers:\n  - name: a\n    args:\n    - |\n      echo hi\n\n      echo # not a comment\n\n  hostPID: true\n",
			ops:  []fix.Op{set(append(sc, "privileged"), false)},
			want: "spec:\n  containers:\n  - name: a\n    args:\n    - |\n      echo hi\n\n      echo # not a comment\n    securityContext:\n      privileged: false\n\n  hostPID: true\n",
		},
		{
			name: "three-space indentation is followed",
			in:   "spec:\n   containers:\n   -  name: a\n      image: x\n",
			ops:  []fix.Op{set(append(sc, "privileged"), false)},
			want: "spec:\n   containers:\n   -  name: a\n      image: x\n      securityContext:\n         privileged: false\n",
		},
		{
			name: "a byte order mark and a document end marker",
			in:   "\ufeffkind: Pod\nspec:\n  hostPID: true\n...\n",
			ops:  []fix.Op{set(p("spec", "hostIPC"), false)},
			want: "\ufeffkind: Pod\nspec:\n  hostPID: true\n  hostIPC: false\n...\n",
		},
		{
			name: "CRLF lines stay CRLF, comments too",
			in:   "spec:\r\n  hostPID: true # pid\r\n  hostIPC: true\r\n",
			ops:  []fix.Op{remove(p("spec", "hostPID")), set(p("spec", "securityContext", "runAsNonRoot"), true)},
			want: "spec:\r\n  # pid\r\n  hostIPC: true\r\n  securityContext:\r\n    runAsNonRoot: true\r\n",
		},
		{
			name: "a multi-line plain scalar as the last value",
			in:   "spec:\n  containers:\n  - name: a\n    command: run\n      this\n",
			ops:  []fix.Op{set(append(sc, "privileged"), false)},
			want: "spec:\n  containers:\n  - name: a\n    command: run\n      this\n    securityContext:\n      privileged: false\n",
		},
		{
			name: "removing what is absent changes nothing",
			in:   "spec:\n  hostPID: true\n",
			ops:  []fix.Op{remove(p("spec", "hostIPC"))},
			want: "spec:\n  hostPID: true\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := applyOps(t, tt.in, tt.item, tt.ops...)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestFixRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, err string
		ops           []fix.Op
	}{
		{"through an alias", "sc: &sc {privileged: true}\nspec:\n  securityContext: *sc\n",
			"alias", []fix.Op{set(p("spec", "securityContext", "runAsNonRoot"), true)}},
		{"inside a merged mapping", "base: &b\n  securityContext: {privileged: true}\nspec:\n  <<: *b\n",
			"merge key", []fix.Op{set(p("spec", "securityContext", "privileged"), false)}},
		{"removing a merged key", "base: &b\n  hostPID: true\nspec:\n  <<: *b\n",
			"merge key", []fix.Op{remove(p("spec", "hostPID"))}},
		{"a field inside a scalar", "spec:\n  securityContext: restricted\n",
			"not a mapping", []fix.Op{set(p("spec", "securityContext", "runAsNonRoot"), true)}},
		{"a list entry that does not exist", "spec:\n  containers: []\n",
			"list entry cannot be created", []fix.Op{set(p("spec", "containers", 0, "name"), "a")}},
		{"a flow entry with a comment inside", "spec:\n  add: [SYS_ADMIN, # why\n    NET_RAW]\n",
			"comment", []fix.Op{remove(p("spec", "add", 0))}},
		{"adding to a mapping", "spec:\n  drop: {a: b}\n",
			"not a list", []fix.Op{add(p("spec", "drop"), "ALL")}},
		{"all or nothing", "spec:\n  hostPID: true\n  securityContext: *x\n",
			"", nil},
	}
	for _, tt := range tests {
		if tt.ops == nil {
			continue
		}
		t.Run(tt.name, func(t *testing.T) {
			_, err := applyOps(t, tt.in, nil, tt.ops...)
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("error %v, want one about %q", err, tt.err)
			}
		})
	}
	// A fix is applied whole or not at all: the first operation is undone when the second fails.
	in := "sc: &sc {privileged: true}\nspec:\n  hostPID: true\n  securityContext: *sc\n"
	if _, err := applyOps(t, in, nil, remove(p("spec", "hostPID")), set(p("spec", "securityContext", "x"), 1)); err == nil {
		t.Error("second operation through an alias accepted")
	}
}

// TestFixTitlesAndSuppress checks titles and suppression edits on analysed manifests.
func TestFixTitlesAndSuppress(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Config{})
	text := `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: tools, annotations: {team: infra}}
  spec:
    hostPID: true
    containers:
    - name: shell
      image: busybox
      securityContext:
        privileged: true
        capabilities: {add: [SYS_ADMIN]}
`
	res, err := e.Analyze(context.Background(), Input{Text: text}, nil)
	if err != nil {
		t.Fatal(err)
	}
	titles := map[string]string{}
	for _, f := range res.Findings {
		titles[f.Rule] = res.FixTitle(f)
	}
	for rule, want := range map[string]string{
		"privileged-container":      `Set privileged: false in container "shell"`,
		"read-only-root-filesystem": `Set readOnlyRootFilesystem: true in container "shell"`,
		"cpu-limits":                `Set resources.limits.cpu: 500m in container "shell"`,
		"cap-sys-admin":             `Remove SYS_ADMIN from capabilities.add in container "shell"`,
		"capabilities-drop-all":     `Add ALL to capabilities.drop in container "shell"`,
		"host-pid":                  `Remove hostPID: true from the pod spec of Pod "tools"`,
		"run-as-non-root":           `Set securityContext.runAsNonRoot: true in the pod spec of Pod "tools"`,
	} {
		if titles[rule] != want {
			t.Errorf("%s: title %q, want %q", rule, titles[rule], want)
		}
	}
	var priv Finding
	for _, f := range res.Findings {
		if f.Rule == "privileged-container" {
			priv = f
		}
	}
	edits, err := res.SuppressEdits(priv)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := fix.ApplyEdits(text, edits)
	want := strings.Replace(text, "annotations: {team: infra}", `annotations: {team: infra, ignore.kube-policy-ls.io/privileged-container: "TODO: reason"}`, 1)
	if got != want {
		t.Errorf("suppress edit:\n%s", got)
	}
	after, _ := e.Analyze(context.Background(), Input{Text: got}, nil)
	for _, f := range after.Findings {
		if f.Rule == "privileged-container" {
			t.Errorf("still reported after the suppression: %s", f.Message)
		}
	}
	// Once there, the annotation is not written again.
	if again, err := after.SuppressEdits(after.Suppressed[0]); err != nil || again != nil {
		t.Errorf("second suppression: %v %v", again, err)
	}
}

func TestSuppressCreatesMetadata(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Config{})
	text := "apiVersion: v1\nkind: Pod\nspec:\n  hostIPC: true\n  containers: [{name: a, image: b}]\n"
	res, err := e.Analyze(context.Background(), Input{Text: text}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Findings {
		if f.Rule != "host-ipc" {
			continue
		}
		edits, err := res.SuppressEdits(f)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := fix.ApplyEdits(text, edits)
		want := text + "metadata:\n  annotations:\n    ignore.kube-policy-ls.io/host-ipc: \"TODO: reason\"\n"
		if got != want {
			t.Errorf("got:\n%s", got)
		}
		return
	}
	t.Fatal("no host-ipc finding")
}

// FuzzFixAll applies fix-all to arbitrary manifests: never a panic, never broken YAML, and a
// second fix-all changes nothing.
func FuzzFixAll(f *testing.F) {
	for _, seed := range []string{
		typicalDeployment,
		"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostPID: true\n  containers: [{name: a, image: b, securityContext: {privileged: true}}]\n",
		"apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n    resources: {}\n    securityContext:\n      capabilities:\n        add: [SYS_ADMIN, NET_RAW] # why\n",
	} {
		f.Add(seed)
	}
	e := newTestEngine(f, Config{})
	f.Fuzz(func(t *testing.T, text string) {
		ctx := context.Background()
		res, err := e.Analyze(ctx, Input{Text: text}, nil)
		if err != nil || res.Skipped {
			return
		}
		rep := res.FixAll(nil)
		fixed, err := fix.ApplyEdits(text, rep.Edits)
		if err != nil {
			t.Fatalf("edits do not apply: %v", err)
		}
		after, err := e.Analyze(ctx, Input{Text: fixed}, nil)
		if err != nil {
			t.Fatal(err)
		}
		before := map[string]bool{}
		for _, f := range res.Findings {
			if f.Rule == RuleYAMLSyntax {
				before[f.Message] = true
			}
		}
		for _, f := range after.Findings {
			if f.Rule == RuleYAMLSyntax && !before[f.Message] {
				t.Fatalf("fix-all broke the YAML: %s\n%s", f.Message, fixed)
			}
		}
		if again := after.FixAll(nil); len(again.Edits) > 0 {
			t.Fatalf("second fix-all still edits %+v\n%s", again.Edits, fixed)
		}
	})
}
