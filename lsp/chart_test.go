package lsp

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/kube-policy-ls/kube-policy-ls/internal/shareddata"
	"github.com/kube-policy-ls/kube-policy-ls/internal/testtree"
)

// TestChartFindingsOnTemplateAndValues: a template of a real chart, rendered with an insecure
// values overlay from the configuration, gets the finding on the line that writes the field;
// the overlay, not open, gets it on the key, the two linked; typing a fix into the overlay
// (unsaved) clears both; the quick fix offered on the template's diagnostic edits the overlay
// and, applied, removes the finding.
func TestChartFindingsOnTemplateAndValues(t *testing.T) {
	t.Parallel()
	src := filepath.Join(shareddata.Path(t, "charts/grafana-community/grafana"), "charts", "grafana-community", "grafana")
	root := t.TempDir()
	chart := filepath.Join(root, "grafana")
	copyTree(t, src, chart)
	testtree.Write(t, root, map[string]string{
		"insecure.yaml":     grafanaInsecure,
		".kube-policy.yaml": "helm:\n  values: [insecure.yaml]\n",
	})
	s := newSession(t, sessionOptions{root: root, caps: vscodeCaps})
	pod := filepath.Join(chart, "templates", "_pod.tpl")
	overlay := filepath.Join(root, "insecure.yaml")
	pu, ou := uri.File(pod), uri.File(overlay)
	s.open(pu, "helm", readText(t, pod))

	// _pod.tpl:1267 writes the container's securityContext (the CLI's placement).
	diags := s.waitDiagnostics(pu, "privileged-container on _pod.tpl", func(d []protocol.Diagnostic) bool { return hasCodeAt(d, "privileged-container", 1266) })
	d := findAt(t, diags, "privileged-container", 1266)
	if len(d.RelatedInformation) == 0 || d.RelatedInformation[0].Location.URI != ou || d.RelatedInformation[0].Location.Range.Start.Line != 1 {
		t.Errorf("template diagnostic's related information %+v, want insecure.yaml line 2", d.RelatedInformation)
	}
	vdiags := s.waitDiagnostics(ou, "privileged-container on the overlay", func(d []protocol.Diagnostic) bool { return hasCode(d, "privileged-container") })
	vd, _ := find(vdiags, "privileged-container")
	if !strings.Contains(messageOf(vd), "rendered into templates/_pod.tpl:1267") {
		t.Errorf("values diagnostic says %q", messageOf(vd))
	}
	if vd.Range.Start.Line != 1 || vd.Range.Start.Character != 27 {
		t.Errorf("values diagnostic at %v, want line 2 column 28 (the privileged key)", vd.Range.Start)
	}
	if len(vd.RelatedInformation) != 1 || vd.RelatedInformation[0].Location.URI != pu || vd.RelatedInformation[0].Location.Range.Start.Line != 1266 {
		t.Errorf("values diagnostic's related information %+v, want _pod.tpl:1267", vd.RelatedInformation)
	}

	// The quick fix on the template's diagnostic edits the overlay.
	actions := s.codeActions(pu, d.Range, []protocol.Diagnostic{d})
	var fixEdit *protocol.WorkspaceEdit
	for _, a := range actions {
		if strings.HasPrefix(a.Title, "Fix privileged-container in ") {
			fixEdit = a.Edit
		}
	}
	if fixEdit == nil {
		t.Fatalf("no values fix among %q", actionTitles(actions))
	}
	fixed := applyWorkspaceEdit(t, grafanaInsecure, ou, fixEdit, nil)
	if fixed == grafanaInsecure {
		t.Fatal("the values fix changes nothing")
	}

	// Typed into the overlay, unsaved: both files lose the finding.
	s.open(ou, "yaml", grafanaInsecure)
	s.change(ou, 2, whole(fixed))
	s.waitDiagnostics(pu, "privileged-container gone from _pod.tpl", func(d []protocol.Diagnostic) bool {
		return !hasCode(d, "privileged-container") && hasCode(d, "cap-sys-admin")
	})
	after := s.diagnosticsAt(ou, 2)
	if hasCode(after, "privileged-container") || !hasCode(after, "cap-sys-admin") {
		t.Errorf("overlay after the fix: %v", codes(after))
	}
}

// TestChartRenderErrorPlaced: a template that does not parse is one helm-render diagnostic
// at the line Helm names; fixing it clears it and the findings come back.
func TestChartRenderErrorPlaced(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	testtree.Write(t, root, smallChart("a"))
	tpl := filepath.Join(root, "templates", "pod.yaml")
	u := uri.File(tpl)
	good := readText(t, tpl)
	broken := strings.Replace(good, "{{ .Values.image }}", "{{ .Values.image }", 1)
	s := newSession(t, sessionOptions{root: root})
	s.open(u, "helm", broken)
	diags := s.diagnosticsAt(u, 1)
	d, ok := find(diags, "helm-render")
	if !ok || len(diags) != 1 {
		t.Fatalf("broken template: %v, want one helm-render", codes(diags))
	}
	if d.Range.Start.Line != 7 {
		t.Errorf("helm-render at line %d, want 8 (%s)", d.Range.Start.Line+1, messageOf(d))
	}
	s.change(u, 2, whole(good))
	diags = s.diagnosticsAt(u, 2)
	if hasCode(diags, "helm-render") || !hasCodeAt(diags, "privileged-container", 9) {
		t.Errorf("fixed template: %v", codes(diags))
	}
}

// TestChartEditsStayInTheirChart: a change in chart A renders A only.
func TestChartEditsStayInTheirChart(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	testtree.Write(t, filepath.Join(root, "a"), smallChart("a"))
	testtree.Write(t, filepath.Join(root, "b"), smallChart("b"))
	s := newSession(t, sessionOptions{root: root})
	ua, ub := uri.File(filepath.Join(root, "a", "values.yaml")), uri.File(filepath.Join(root, "b", "values.yaml"))
	s.open(ua, "yaml", "privileged: true\nimage: nginx:1.27\n")
	s.open(ub, "yaml", "privileged: true\nimage: nginx:1.27\n")
	s.diagnosticsAt(ua, 1)
	s.diagnosticsAt(ub, 1)
	before := s.assemblyStats(filepath.Join(root, "b"))
	s.change(ua, 2, whole("privileged: false\nimage: nginx:1.27\n"))
	if d := s.diagnosticsAt(ua, 2); hasCode(d, "privileged-container") {
		t.Errorf("chart a after the fix: %v", codes(d))
	}
	if after := s.assemblyStats(filepath.Join(root, "b")); after != before {
		t.Errorf("chart b was checked again: %+v -> %+v", before, after)
	}
	if d := s.diagnosticsAt(ub, 1); !hasCode(d, "privileged-container") {
		t.Errorf("chart b lost its finding: %v", codes(d))
	}
}

// TestChartStaleRenderCancelled: an edit while the chart is being checked cancels that
// check; its findings are never published, the newer text's are.
func TestChartStaleRenderCancelled(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	testtree.Write(t, root, smallChart("a"))
	u := uri.File(filepath.Join(root, "values.yaml"))
	started, release := make(chan struct{}), make(chan struct{})
	first := true
	s := newSession(t, sessionOptions{root: root})
	s.srv.mu.Lock()
	s.srv.beforeAssemblyCheck = func(ctx context.Context, _ string) {
		s.srv.mu.Lock()
		isFirst := first
		first = false
		s.srv.mu.Unlock()
		if isFirst {
			close(started)
			<-ctx.Done() // cancelled by the edit below
			<-release
		}
	}
	s.srv.mu.Unlock()
	s.open(u, "yaml", "privileged: true\nimage: nginx:1.27\n")
	<-started
	s.change(u, 2, whole("privileged: false\nimage: nginx:1.27\n"))
	s.barrier()
	close(release)
	d := s.diagnosticsAt(u, 2)
	if hasCode(d, "privileged-container") {
		t.Errorf("version 2: %v", codes(d))
	}
	// The stale check ends once released; then nothing more of it can be published.
	for deadline := time.Now().Add(waitTimeout); s.assemblyStats(root).Cancelled < 1; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v: the stale check did not end as cancelled", s.assemblyStats(root))
		}
	}
	s.client.mu.Lock()
	for _, p := range s.client.published {
		if p.URI == u && hasCode(p.Diagnostics, "privileged-container") {
			t.Errorf("the stale check's findings were published: version %v", p.Version)
		}
	}
	s.client.mu.Unlock()
}

// TestChartCloseKeepsDiagnostics: closing an edited values.yaml renders the disk's text again,
// and its diagnostics stay published while it is closed.
func TestChartCloseKeepsDiagnostics(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	testtree.Write(t, root, smallChart("a"))
	values, tpl := filepath.Join(root, "values.yaml"), filepath.Join(root, "templates", "pod.yaml")
	vu, tu := uri.File(values), uri.File(tpl)
	s := newSession(t, sessionOptions{root: root})
	s.open(tu, "helm", readText(t, tpl))
	s.open(vu, "yaml", "privileged: false\nimage: nginx:1.27\n") // unsaved fix
	s.waitDiagnostics(tu, "the fix rendered", func(d []protocol.Diagnostic) bool { return !hasCode(d, "privileged-container") && len(d) > 0 })
	if err := s.server.DidClose(s.ctx(), &protocol.DidCloseTextDocumentParams{TextDocument: protocol.TextDocumentIdentifier{URI: vu}}); err != nil {
		t.Fatal(err)
	}
	s.waitDiagnostics(tu, "the disk's values rendered", func(d []protocol.Diagnostic) bool { return hasCodeAt(d, "privileged-container", 9) })
	d := s.waitDiagnostics(vu, "the closed values.yaml's diagnostics", func(d []protocol.Diagnostic) bool { return hasCodeAt(d, "privileged-container", 0) })
	if vd, _ := find(d, "privileged-container"); !strings.Contains(messageOf(vd), "rendered into templates/pod.yaml:10") {
		t.Errorf("values diagnostic says %q", messageOf(vd))
	}
}

// TestChartHoverAndSuppress: hover on a flagged template line shows the rule and the rendered
// YAML; on the values key, where it was rendered into. The suppress action's comment, typed
// in, silences the finding.
func TestChartHoverAndSuppress(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	hostPIDChart(t, root)
	tpl := filepath.Join(root, "templates", "pod.yaml")
	tu, vu := uri.File(tpl), uri.File(filepath.Join(root, "values.yaml"))
	s := newSession(t, sessionOptions{root: root, caps: vscodeCaps})
	text := readText(t, tpl)
	s.open(tu, "helm", text)
	diags := s.diagnosticsAt(tu, 1)
	findAt(t, diags, "privileged-container", 10)
	h := s.hoverAt(tu, 10, 10)
	if h == nil {
		t.Fatal("no hover on the flagged template line")
	}
	mc := h.Contents.(*protocol.MarkupContent)
	for _, want := range []string{"`privileged-container`", "Rendered templates/pod.yaml, line 11:", "```yaml", "privileged: true"} {
		if !strings.Contains(mc.Value, want) {
			t.Errorf("hover lacks %q:\n%s", want, mc.Value)
		}
	}
	s.open(vu, "yaml", readText(t, filepath.Join(root, "values.yaml")))
	if h := s.hoverAt(vu, 0, 2); h == nil || !strings.Contains(h.Contents.(*protocol.MarkupContent).Value, "rendered into templates/pod.yaml:11") {
		t.Errorf("values hover: %+v", h)
	}

	// hostPID is literal in the template: the fix edits the template (preferred), or suppress.
	hd := findAt(t, diags, "host-pid", 5)
	var sup, tplFix *protocol.WorkspaceEdit
	for _, a := range s.codeActions(tu, hd.Range, []protocol.Diagnostic{hd}) {
		if a.Title == "Fix host-pid in templates/pod.yaml" && a.IsPreferred != nil && *a.IsPreferred {
			tplFix = a.Edit
		} else if strings.HasPrefix(a.Title, "Fix host-pid") {
			t.Errorf("a values fix for a literal field: %q", a.Title)
		}
		if strings.HasPrefix(a.Title, "Suppress host-pid") {
			sup = a.Edit
		}
	}
	v := int32(1)
	if fixed := applyWorkspaceEdit(t, text, tu, tplFix, &v); fixed != strings.Replace(text, "  hostPID: true\n", "", 1) {
		t.Errorf("the template fix of hostPID:\n%s", fixed)
	}
	suppressed := applyWorkspaceEdit(t, text, tu, sup, &v)
	suppressed = strings.Replace(suppressed, "TODO: reason", "debug pod", 1)
	s.change(tu, 2, whole(suppressed))
	after := s.diagnosticsAt(tu, 2)
	if hasCode(after, "host-pid") || !hasCode(after, "privileged-container") {
		t.Errorf("after the suppression: %v", codes(after))
	}
}

// TestChartTemplateFixAll: a finding written as literal template text is in the chart's
// fix-all too, as an edit of the template.
func TestChartTemplateFixAll(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	files := hostPIDChart(t, root)
	tpl := filepath.Join(root, "templates", "pod.yaml")
	tu := uri.File(tpl)
	s := newSession(t, sessionOptions{root: root})
	s.open(tu, "helm", files["templates/pod.yaml"])
	findAt(t, s.diagnosticsAt(tu, 1), "host-pid", 5)
	var all *protocol.WorkspaceEdit
	for _, a := range s.codeActions(tu, protocol.Range{}, nil, kindFixAll) {
		if strings.HasPrefix(a.Title, "Fix all kube-policy-ls problems in chart ") {
			all = a.Edit
		}
	}
	if all == nil {
		t.Fatal("no fix-all")
	}
	var tplEdit protocol.WorkspaceEdit
	for _, dc := range all.DocumentChanges {
		if tde, ok := dc.(*protocol.TextDocumentEdit); ok && tde.TextDocument.URI == tu {
			tplEdit.DocumentChanges = append(tplEdit.DocumentChanges, dc)
		}
	}
	tplEdit.Changes = map[uri.URI][]protocol.TextEdit{tu: all.Changes[tu]}
	fixed := applyWorkspaceEdit(t, files["templates/pod.yaml"], tu, &tplEdit, nil)
	s.change(tu, 2, whole(fixed))
	if after := s.diagnosticsAt(tu, 2); hasCode(after, "host-pid") {
		t.Errorf("host-pid is left after the fix-all: %v", codes(after))
	}
}

// TestChartFixAll: the chart's fix-all edits values.yaml; applied, no fixable finding is left.
func TestChartFixAll(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	files := smallChart("a")
	files["values.yaml"] = "privileged: true\nimage: nginx:1.27\nsc: {runAsUser: 0}\n"
	files["templates/pod.yaml"] += "        runAsUser: {{ .Values.sc.runAsUser }}\n"
	testtree.Write(t, root, files)
	vu := uri.File(filepath.Join(root, "values.yaml"))
	s := newSession(t, sessionOptions{root: root})
	s.open(vu, "yaml", files["values.yaml"])
	diags := s.diagnosticsAt(vu, 1)
	if !hasCodeAt(diags, "privileged-container", 0) || !hasCodeAt(diags, "run-as-non-root", 2) {
		t.Fatalf("values.yaml: %v", codes(diags))
	}
	var all *protocol.WorkspaceEdit
	for _, a := range s.codeActions(vu, protocol.Range{}, nil, kindFixAll) {
		if strings.HasPrefix(a.Title, "Fix all kube-policy-ls problems in chart ") {
			all = a.Edit
		}
	}
	fixed := applyWorkspaceEdit(t, files["values.yaml"], vu, all, nil)
	s.change(vu, 2, whole(fixed))
	for _, d := range s.diagnosticsAt(vu, 2) {
		var data diagnosticData
		_ = json.Unmarshal(d.Data, &data)
		if data.Fixable {
			t.Errorf("a fixable finding is left: %s %s", d.Code, messageOf(d))
		}
	}
}

// TestChartSubchartAndLoneTemplate: a subchart's template belongs to its parent, rendered with
// the parent's values (the finding also on the parent's values.yaml key); a template with no
// Chart.yaml above it keeps the one notice.
func TestChartSubchartAndLoneTemplate(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	parent := smallChart("parent")
	parent["values.yaml"] = "privileged: false\nimage: nginx:1.27\nsub:\n  privileged: true\n"
	testtree.Write(t, filepath.Join(root, "parent"), parent)
	testtree.Write(t, filepath.Join(root, "parent", "charts", "sub"), smallChart("sub"))
	testtree.Write(t, root, map[string]string{"lone/templates/pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}\n"})
	s := newSession(t, sessionOptions{root: root})
	sub := uri.File(filepath.Join(root, "parent", "charts", "sub", "templates", "pod.yaml"))
	s.open(sub, "helm", smallChart("sub")["templates/pod.yaml"])
	if d := s.diagnosticsAt(sub, 1); !hasCodeAt(d, "privileged-container", 9) {
		t.Errorf("the subchart's template: %v", codes(d))
	}
	pv := uri.File(filepath.Join(root, "parent", "values.yaml"))
	d := s.waitDiagnostics(pv, "the parent's values key", func(d []protocol.Diagnostic) bool { return hasCodeAt(d, "privileged-container", 3) })
	if vd, _ := find(d, "privileged-container"); !strings.Contains(messageOf(vd), "rendered into charts/sub/templates/pod.yaml:10") {
		t.Errorf("parent values diagnostic says %q", messageOf(vd))
	}
	if st := s.assemblyStats(filepath.Join(root, "parent", "charts", "sub")); st.Started != 0 {
		t.Errorf("the subchart was rendered on its own: %+v", st)
	}
	lone := uri.File(filepath.Join(root, "lone", "templates", "pod.yaml"))
	s.open(lone, "helm", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}\n")
	if d := s.diagnosticsAt(lone, 1); len(d) != 1 || d[0].Code != protocol.String("helm-template") {
		t.Errorf("a lone template: %v", codes(d))
	}
}

// TestChartWatchedFileChange: a chart file changed on disk, not open, renders the chart again.
func TestChartWatchedFileChange(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	testtree.Write(t, root, smallChart("a"))
	tpl := filepath.Join(root, "templates", "pod.yaml")
	tu := uri.File(tpl)
	s := newSession(t, sessionOptions{root: root})
	s.open(tu, "helm", readText(t, tpl))
	if d := s.diagnosticsAt(tu, 1); !hasCodeAt(d, "privileged-container", 9) {
		t.Fatalf("before: %v", codes(d))
	}
	values := filepath.Join(root, "values.yaml")
	testtree.Write(t, root, map[string]string{"values.yaml": "privileged: false\nimage: nginx:1.27\n"})
	s.notify(protocol.MethodWorkspaceDidChangeWatchedFiles, &protocol.DidChangeWatchedFilesParams{Changes: []protocol.FileEvent{
		{URI: uri.File(values), Type: protocol.FileChangeTypeChanged},
	}})
	s.waitDiagnostics(tu, "the disk's fix rendered", func(d []protocol.Diagnostic) bool { return !hasCode(d, "privileged-container") })
	s.waitDiagnostics(uri.File(values), "values.yaml cleared", func(d []protocol.Diagnostic) bool { return len(d) == 0 })
}

// TestChartAboveTheWorkspaceFolder: a workspace folder inside a chart (Neovim's root for a
// file with no .git above it is its directory) still renders the chart as a whole.
func TestChartAboveTheWorkspaceFolder(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	testtree.Write(t, root, smallChart("a"))
	tpl := filepath.Join(root, "templates", "pod.yaml")
	s := newSession(t, sessionOptions{root: filepath.Dir(tpl)})
	u := uri.File(tpl)
	s.open(u, "yaml", readText(t, tpl))
	if d := s.diagnosticsAt(u, 1); !hasCodeAt(d, "privileged-container", 9) {
		t.Errorf("a template of a chart above the folder: %v", codes(d))
	}
}

// TestChartDiagnosticsBounded: a template that renders thousands of flagged objects gets at
// most maxChartDiagnostics diagnostics (findings that say the same at the same place are one).
func TestChartDiagnosticsBounded(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	testtree.Write(t, root, map[string]string{
		"Chart.yaml":  "apiVersion: v2\nname: many\nversion: 0.1.0\n",
		"values.yaml": "count: 1200\n",
		"templates/pods.yaml": `{{- range $i := until (int .Values.count) }}
---
apiVersion: v1
kind: Pod
metadata:
  name: p{{ $i }}
spec:
  hostPID: true
  containers:
    - name: app{{ $i }}
      image: nginx:1.27
{{- end }}
`,
	})
	u := uri.File(filepath.Join(root, "templates", "pods.yaml"))
	s := newSession(t, sessionOptions{root: root})
	s.open(u, "helm", readText(t, u.FsPath()))
	d := s.diagnosticsAt(u, 1)
	if len(d) != maxChartDiagnostics {
		t.Errorf("%d diagnostics, want %d", len(d), maxChartDiagnostics)
	}
}
