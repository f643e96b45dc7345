package analysis

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func analyzeText(t *testing.T, e *Engine, text string) *Result {
	t.Helper()
	return analyzeWithin(t, e, "test.yaml", text, 30*time.Second)
}

func rulesOf(fs []Finding) []string {
	var ids []string
	for _, f := range fs {
		ids = append(ids, f.Rule)
	}
	return ids
}

func TestBadInputNeverCrashes(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Config{})
	pod := "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostPID: true\n  containers: [{name: c, image: x}]\n"
	bomb := "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
	for i, prev := 'b', 'a'; i <= 'j'; i, prev = i+1, i {
		bomb += fmt.Sprintf("%c: &%c [*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c]\n", i, i, prev, prev, prev, prev, prev, prev, prev, prev, prev)
	}
	tests := []struct {
		name     string
		text     string
		wantRule string // a finding of this rule must exist
		wantMsg  string // in its message
	}{
		{"empty file", "", "", ""},
		{"only comments", "# nothing\n---\n# here\n", "", ""},
		{"binary", "\x00\x01\x02ELF\x00", RuleYAMLSyntax, "binary"},
		{"invalid UTF-8", "apiVersion: v1\nkind: Pod\nmetadata: {name: \xff\xfe}\n", RuleYAMLSyntax, ""},
		{"over 10 MiB", strings.Repeat("# padding line\n", (MaxFileSize/15)+10), RuleYAMLSyntax, "over the limit"},
		{"line over 1 MiB", "a: " + strings.Repeat("x", MaxLineBytes+1) + "\n", RuleYAMLSyntax, "longer than"},
		{"alias bomb", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\n" + bomb, RuleYAMLSyntax, "alias"},
		{"deep nesting", "apiVersion: v1\nkind: Pod\nspec: " + strings.Repeat("[", 3000) + strings.Repeat("]", 3000) + "\n", RuleYAMLSyntax, ""},
		{"too many documents", strings.Repeat("---\na: 1\n", MaxDocuments+1), RuleYAMLSyntax, "documents"},
		{"JSON manifest", `{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "j"}, "spec": {"hostPID": true, "containers": []}}`, "host-pid", "hostPID"},
		{"syntax error in document 2 of 3", pod + "---\nbad: [\n---\n" + pod, RuleYAMLSyntax, ""},
		{"CRLF and BOM", "\ufeff" + strings.ReplaceAll(pod, "\n", "\r\n"), "host-pid", ""},
		{"not a manifest", "name: my-app\nversion: 1.2.3\n", "", ""},
		{"scalar document", "just a string\n", "", ""},
		{"wrong types everywhere", "apiVersion: v1\nkind: Pod\nmetadata: 5\nspec:\n  containers: oops\n  securityContext: [1]\n  volumes: {a: b}\n", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := analyzeText(t, e, tt.text)
			if tt.wantRule == "" {
				for _, f := range res.Findings {
					if f.Rule == RuleYAMLSyntax {
						t.Errorf("unexpected %s: %s", f.Rule, f.Message)
					}
				}
				return
			}
			i := slices.IndexFunc(res.Findings, func(f Finding) bool { return f.Rule == tt.wantRule && strings.Contains(f.Message, tt.wantMsg) })
			if i < 0 {
				t.Fatalf("no %s finding mentioning %q; got %v", tt.wantRule, tt.wantMsg, rulesOf(res.Findings))
			}
		})
	}
}

func TestSyntaxErrorKeepsOtherDocuments(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Config{})
	pod := func(name string) string {
		return "apiVersion: v1\nkind: Pod\nmetadata: {name: " + name + "}\nspec:\n  hostPID: true\n  containers: []\n"
	}
	text := pod("first") + "---\nkind: [\n---\n" + pod("third")
	res := analyzeText(t, e, text)
	var hostPID []string
	syntaxLine := -1
	for _, f := range res.Findings {
		switch f.Rule {
		case "host-pid":
			hostPID = append(hostPID, f.Object.Name)
		case RuleYAMLSyntax:
			syntaxLine = res.Mapper.LineOf(f.Range.Start)
		}
	}
	if !slices.Equal(hostPID, []string{"first", "third"}) {
		t.Errorf("host-pid findings for %v, want first and third", hostPID)
	}
	if syntaxLine != 7 {
		t.Errorf("syntax error on line %d, want 7 (0-based)", syntaxLine)
	}
}

func TestOneProblemOneDiagnostic(t *testing.T) {
	t.Parallel()
	text := `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: c
    image: x
    securityContext:
      capabilities:
        add: [SYS_ADMIN, NET_RAW]
  volumes:
  - name: sock
    hostPath: {path: /var/run/docker.sock}
  - name: logs
    hostPath: {path: /var/log}
  - name: gluster
    glusterfs: {endpoints: e, path: p}
  initContainers:
  - name: root
    image: x
    securityContext: {runAsUser: 0}
`
	for _, profile := range Profiles {
		e := newTestEngine(t, Config{Profile: profile})
		res := analyzeText(t, e, text)
		count := map[string]int{}
		for _, f := range res.Findings {
			count[f.Rule]++
		}
		switch profile {
		case "default":
			// SYS_ADMIN: only cap-sys-admin; NET_RAW: capabilities-added
			if count["cap-sys-admin"] != 1 || count["capabilities-added"] != 1 {
				t.Errorf("%s: cap-sys-admin %d, capabilities-added %d; want 1 and 1", profile, count["cap-sys-admin"], count["capabilities-added"])
			}
			// the socket: only docker-socket-mount; /var/log: host-path-volumes
			if count["docker-socket-mount"] != 1 || count["host-path-volumes"] != 1 {
				t.Errorf("%s: docker-socket-mount %d, host-path-volumes %d; want 1 and 1", profile, count["docker-socket-mount"], count["host-path-volumes"])
			}
			if count["vulnerable-volume-types"] != 1 || count["restricted-volume-types"] != 0 {
				t.Errorf("%s: vulnerable %d, restricted %d; want 1 and 0", profile, count["vulnerable-volume-types"], count["restricted-volume-types"])
			}
			// runAsUser: 0 on "root" is run-as-non-root's; "c" has no runAsUser: run-as-high-uid's
			for _, f := range res.Findings {
				if f.Rule == "run-as-high-uid" && strings.Contains(f.Message, `"root"`) {
					t.Errorf("%s: runAsUser: 0 reported by run-as-high-uid too: %s", profile, f.Message)
				}
			}
			if count["run-as-high-uid"] != 1 {
				t.Errorf("%s: run-as-high-uid %d, want 1 (container c)", profile, count["run-as-high-uid"])
			}
		case "pss-baseline":
			// docker-socket-mount and vulnerable-volume-types are not in baseline: the general rules
			// report; NET_RAW is outside the baseline set too
			if count["host-path-volumes"] != 2 || count["cap-sys-admin"] != 1 || count["capabilities-added"] != 1 {
				t.Errorf("%s: %v", profile, count)
			}
		case "pss-restricted":
			if count["restricted-volume-types"] != 1 || count["capabilities-added"] != 1 {
				t.Errorf("%s: %v", profile, count)
			}
		}
	}
}

func TestDocumentCacheReuse(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Config{})
	pod := "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostPID: true\n  containers: []\n"
	first := analyzeText(t, e, pod+"---\n"+pod)
	// insert a document in front: the two known documents move but are reused as they are
	text := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\n" + pod + "---\n" + pod
	second, err := e.Analyze(context.Background(), Input{Text: text}, first)
	if err != nil {
		t.Fatal(err)
	}
	// both "---\n"+pod documents have the text of the first result's second document
	if second.Docs[1].Doc.Root != first.Docs[1].Doc.Root || second.Docs[2].Doc.Root != first.Docs[1].Doc.Root {
		t.Error("unchanged documents were parsed again")
	}
	fresh := analyzeText(t, e, text)
	if len(fresh.Findings) != len(second.Findings) {
		t.Fatalf("reused result has %d findings, fresh %d", len(second.Findings), len(fresh.Findings))
	}
	for i := range fresh.Findings {
		a, b := fresh.Findings[i], second.Findings[i]
		if a.Rule != b.Rule || a.Range != b.Range || a.Doc != b.Doc {
			t.Errorf("finding %d: reused %s %v doc %d, fresh %s %v doc %d", i, b.Rule, b.Range, b.Doc, a.Rule, a.Range, a.Doc)
		}
	}
	// another engine's result is not reused
	other := newTestEngine(t, Config{Profile: "pss-baseline"})
	third, _ := other.Analyze(context.Background(), Input{Text: text}, first)
	if third.Docs[1].Doc.Root == first.Docs[0].Doc.Root {
		t.Error("a result from another engine was reused")
	}
}

func TestHelmTemplates(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Config{})
	tmpl := "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ include \"x.fullname\" . }}\nspec:\n  replicas: {{ .Values.replicas }}\n"
	res := analyzeText(t, e, tmpl)
	if len(res.Findings) != 1 || res.Findings[0].Rule != RuleHelmTemplate || res.Findings[0].Severity != Info {
		t.Fatalf("findings = %v", rulesOf(res.Findings))
	}
	if got := res.Mapper.LineOf(res.Findings[0].Range.Start); got != 3 {
		t.Errorf("notice on line %d, want 3 (the first action)", got)
	}
	// quoted template text in a valid manifest (an alerting rule) is checked normally
	alert := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  msg: \"{{ $labels.instance }} is down\"\n"
	if res := analyzeText(t, e, alert); len(res.Findings) != 0 {
		t.Errorf("alerting rule: %v", rulesOf(res.Findings))
	}
	// a file marked as Helm is skipped whatever it holds
	res, _ = e.Analyze(context.Background(), Input{Text: "apiVersion: v1\nkind: Pod\nspec: {hostPID: true}\n", Helm: true}, nil)
	if len(res.Findings) != 1 || res.Findings[0].Rule != RuleHelmTemplate {
		t.Errorf("Helm input: %v", rulesOf(res.Findings))
	}
}

func TestYAML11Booleans(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Config{})
	res := analyzeText(t, e, "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostPID: yes\n  hostIPC: \"yes\"\n  containers: []\n")
	rules := rulesOf(res.Findings)
	if !slices.Contains(rules, "host-pid") {
		t.Error("hostPID: yes is true to Kubernetes (YAML 1.1) but was not flagged")
	}
	if slices.Contains(rules, "host-ipc") {
		t.Error(`hostIPC: "yes" is a string, not true, but was flagged`)
	}
}

func TestConfigSelectsRules(t *testing.T) {
	t.Parallel()
	off := true
	off = !off
	e := newTestEngine(t, Config{Rules: map[string]RuleConfig{
		"host-pid":     {Severity: "low"},
		"host-network": {Enabled: &off},
	}})
	res := analyzeText(t, e, "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostPID: true\n  hostNetwork: true\n  containers: []\n")
	for _, f := range res.Findings {
		if f.Rule == "host-network" {
			t.Error("disabled rule reported")
		}
		if f.Rule == "host-pid" && f.Severity != Low {
			t.Errorf("host-pid severity %v, want low", f.Severity)
		}
	}
	if _, err := NewEngine(context.Background(), Config{Rules: map[string]RuleConfig{"host-pdi": {}}}); err == nil || !strings.Contains(err.Error(), `did you mean "host-pid"`) {
		t.Errorf("unknown rule id: err = %v", err)
	}
	if _, err := NewEngine(context.Background(), Config{Profile: "strict"}); err == nil {
		t.Error("unknown profile accepted")
	}
}

func TestMovedSyntaxErrorIsReanalyzed(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Config{})
	dup := "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostPID: true\n  hostPID: false\n"
	first := analyzeText(t, e, dup)
	moved := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\n" + dup
	second, err := e.Analyze(context.Background(), Input{Text: moved}, first)
	if err != nil {
		t.Fatal(err)
	}
	fresh := analyzeText(t, e, moved)
	if len(second.Findings) != 1 || second.Findings[0].Message != fresh.Findings[0].Message || !strings.Contains(fresh.Findings[0].Message, "line 9") {
		t.Errorf("after moving: %q, fresh analysis: %q (want line 9)", second.Findings[0].Message, fresh.Findings[0].Message)
	}
}

// Profiles nest: every finding of default is a finding of recommended, and every finding of
// recommended one of all, on the same text (RULES-NEXT.md section 3.2: upgrading the profile
// only adds findings).
func TestProfilesNest(t *testing.T) {
	t.Parallel()
	paths, err := filepath.Glob(filepath.Join("..", "examples", "*.yaml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("examples: %v %v", paths, err)
	}
	key := func(f Finding) string { return fmt.Sprintf("%s %d %v %s", f.Rule, f.Doc, f.Range, f.Message) }
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var prev map[string]bool
		for _, p := range []string{"default", "recommended", "all"} {
			res, err := newTestEngine(t, Config{Profile: p}).Analyze(context.Background(), Input{Path: path, Text: string(data)}, nil)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]bool{}
			for _, f := range res.Findings {
				got[key(f)] = true
			}
			for k := range prev {
				if !got[k] {
					t.Errorf("%s: %s finds less than the profile below it: %s is gone", filepath.Base(path), p, k)
				}
			}
			prev = got
		}
	}
}
