package analysis

import (
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const customRuleHeader = `# METADATA
# title: Images must come from the company registry
# description: Images from elsewhere are not scanned.
# custom:
#   id: %ID%
#   severity: high
#   fixable: false
package custom.%PKG%

import data.kubepolicy.lib

`

func writePolicy(t testing.TB, dir, id, body string) string {
	t.Helper()
	src := strings.NewReplacer("%ID%", id, "%PKG%", strings.ReplaceAll(id, "-", "_")).Replace(customRuleHeader) + body
	p := filepath.Join(dir, id+".rego")
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const podWithImage = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostPID: true\n  containers:\n  - name: app\n    image: docker.io/nginx\n"

func TestCustomPolicy(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writePolicy(t, dir, "company-registry", `violations contains v if {
	some c in lib.containers
	not startswith(c.container.image, "registry.example.com/")
	v := {"path": array.concat(c.path, ["image"]), "message": sprintf("container %q pulls %s from outside registry.example.com", [c.name, c.container.image])}
}
`)
	e := newTestEngine(t, Config{Policies: []string{"."}, BaseDir: dir})
	if errs := e.PolicyErrors(); len(errs) > 0 {
		t.Fatalf("policy errors: %v", errs)
	}
	res := analyzeText(t, e, podWithImage)
	var custom, builtin bool
	for _, f := range res.Findings {
		if f.Rule == "company-registry" {
			custom = true
			if got := podWithImage[f.Range.Start:f.Range.End]; got != "image: docker.io/nginx" || f.Severity != High {
				t.Errorf("custom finding highlights %q with severity %v", got, f.Severity)
			}
		}
		builtin = builtin || f.Rule == "host-pid"
	}
	if !custom || !builtin {
		t.Errorf("custom finding %v, built-in finding %v: want both", custom, builtin)
	}
	if r, ok := e.Rule("company-registry"); !ok || !r.Custom || r.Title == "" {
		t.Errorf("catalog entry %+v", r)
	}
}

func TestCustomPolicySandbox(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body, msg string
	}{
		{"http.send", `violations contains v if {
	resp := http.send({"method": "GET", "url": "http://127.0.0.1:1/"})
	v := {"path": [], "message": resp.body}
}
`, "http.send"},
		{"net.lookup_ip_addr", `violations contains v if {
	ips := net.lookup_ip_addr("example.com")
	v := {"path": [], "message": sprintf("%v", [ips])}
}
`, "net.lookup_ip_addr"},
		{"opa.runtime", `violations contains v if {
	env := opa.runtime().env
	v := {"path": [], "message": env.HOME}
}
`, "opa.runtime"},
		{"syntax error", "violations contains v if {\n\tv := \n}\n", "unexpected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			file := writePolicy(t, dir, "probe", tt.body)
			e := newTestEngine(t, Config{Policies: []string{dir}})
			errs := e.PolicyErrors()
			if len(errs) == 0 || errs[0].File != file || errs[0].Line < 10 || !strings.Contains(errs[0].Msg, tt.msg) {
				t.Fatalf("policy errors %v; want one in %s after the header, mentioning %q", errs, file, tt.msg)
			}
			if _, ok := e.Rule("probe"); ok {
				t.Error("a rejected policy is in the catalog")
			}
			res := analyzeText(t, e, podWithImage)
			if len(res.Findings) == 0 || !strings.Contains(strings.Join(rulesOf(res.Findings), " "), "host-pid") {
				t.Errorf("built-in rules stopped working: %v", rulesOf(res.Findings))
			}
		})
	}
}

func TestCustomPolicyDeadline(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writePolicy(t, dir, "slow", `violations contains v if {
	some a in numbers.range(1, 100000)
	some b in numbers.range(1, 100000)
	a * b == -1
	v := {"path": [], "message": "never"}
}
`)
	e := newTestEngine(t, Config{Policies: []string{dir}})
	start := time.Now()
	res, err := e.Analyze(context.Background(), Input{Text: podWithImage}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if elapsed := time.Since(start); elapsed > time.Minute {
		t.Fatalf("analysis took %v: the deadline did not stop the rule", elapsed)
	}
	if len(res.PolicyErrors) != 1 || !strings.Contains(res.PolicyErrors[0].Msg, "did not finish within") || res.PolicyErrors[0].Line != 12 { // the violations rule, after the header
		t.Errorf("policy errors = %v", res.PolicyErrors)
	}
	if !strings.Contains(strings.Join(rulesOf(res.Findings), " "), "host-pid") {
		t.Errorf("built-in findings missing: %v", rulesOf(res.Findings))
	}
}

func TestCustomPolicyCannotTakeOverBuiltins(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "lib.rego")
	if err := os.WriteFile(p, []byte("package kubepolicy.lib\n\ncontainers := []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	writePolicy(t, dir, "host-pid", "violations := set()\n")
	e := newTestEngine(t, Config{Policies: []string{dir}})
	var msgs []string
	for _, pe := range e.PolicyErrors() {
		msgs = append(msgs, pe.Msg)
	}
	joined := strings.Join(msgs, "\n")
	if !strings.Contains(joined, "belongs to kube-policy-ls") || !strings.Contains(joined, "already taken") {
		t.Errorf("policy errors: %s", joined)
	}
	if res := analyzeText(t, e, podWithImage); !strings.Contains(strings.Join(rulesOf(res.Findings), " "), "cpu-limits") {
		t.Errorf("the built-in library was replaced: %v", rulesOf(res.Findings))
	}
}

// TestCustomPolicyReachesNothing gives custom policies every chance to reach a local server or
// read a file beside them, and checks that none got through.
func TestCustomPolicyReachesNothing(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var connections atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			connections.Add(1)
			c.Close()
		}
	}()
	url := "http://" + ln.Addr().String() + "/jwks.json"
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "secret.json"), []byte(`{"token": "s3cr3t-value"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	// a JWT whose header names the local server as its key set (jku)
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","jku":"` + url + `"}`))
	token := header + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"x"}`)) + ".c2ln"
	writePolicy(t, dir, "jwt-probe", `jwt_result := r if {
	r := io.jwt.decode_verify("`+token+`", {"cert": "`+url+`"})
} else := "error"

violations contains v if {
	v := {"path": [], "message": sprintf("jwt: %v", [jwt_result])}
}

violations contains v if {
	# where OPA's loader would put secret.json, were files beside policies loaded as data
	v := {"path": [], "message": json.marshal([data.secret, data.token])}
}

violations contains v if {
	v := {"path": [], "message": json.marshal(data.kubepolicy.config)}
}
`)
	e := newTestEngine(t, Config{Policies: []string{dir}})
	if errs := e.PolicyErrors(); len(errs) > 0 {
		t.Fatalf("policy errors: %v", errs)
	}
	res := analyzeText(t, e, podWithImage)
	var messages []string
	for _, f := range res.Findings {
		if f.Rule == "jwt-probe" {
			messages = append(messages, f.Message)
		}
	}
	joined := strings.Join(messages, "\n")
	if !strings.Contains(joined, "jwt: ") {
		t.Errorf("io.jwt.decode_verify did not run as expected: %q (errors %v)", joined, res.PolicyErrors)
	}
	if strings.Contains(joined, "s3cr3t-value") {
		t.Error("a file beside the policy is readable through data")
	}
	time.Sleep(100 * time.Millisecond)
	if n := connections.Load(); n != 0 {
		t.Errorf("custom policies made %d connections", n)
	}
}

func TestCustomPolicyErrorInLibrary(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	lib := filepath.Join(dir, "helpers.rego")
	if err := os.WriteFile(lib, []byte("package acme.helpers\n\nimage_of(c) := c.image\n\nimage_of(c) := \"x\" if c.name\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	writePolicy(t, dir, "uses-helper", `import data.acme.helpers

violations contains v if {
	some c in lib.containers
	v := {"path": c.path, "message": helpers.image_of(c.container)}
}
`)
	e := newTestEngine(t, Config{Policies: []string{dir}})
	if errs := e.PolicyErrors(); len(errs) > 0 {
		t.Fatalf("policy errors: %v", errs)
	}
	res := analyzeText(t, e, podWithImage)
	if len(res.PolicyErrors) != 1 || res.PolicyErrors[0].File != lib || res.PolicyErrors[0].Line != 5 {
		t.Errorf("policy errors = %v; want one in %s at line 5, the conflicting definition", res.PolicyErrors, lib)
	}
}

func TestPolicyDirectoryWalkIsBounded(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for i := range maxPolicyDirEntries / 1000 * 11 / 10 {
		sub := filepath.Join(dir, fmt.Sprintf("d%03d", i))
		if err := os.Mkdir(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		for j := range 1000 {
			if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("f%d.txt", j)), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	_, errs := loadCustom([]string{dir}, "")
	if len(errs) != 1 || !strings.Contains(errs[0].Msg, "more than") {
		t.Errorf("errors = %v", errs)
	}
}

// A custom rule that fails on one document keeps being reported while the user types in
// another: Reanalyze takes the untouched document's policy errors over with its findings.
func TestCustomPolicyErrorSurvivesReanalyze(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	lib := filepath.Join(dir, "helpers.rego")
	if err := os.WriteFile(lib, []byte("package acme.helpers\n\nimage_of(c) := c.image\n\nimage_of(c) := \"x\" if c.name\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	writePolicy(t, dir, "uses-helper", `import data.acme.helpers

violations contains v if {
	some c in lib.containers
	v := {"path": c.path, "message": helpers.image_of(c.container)}
}
`)
	e := newTestEngine(t, Config{Policies: []string{dir}})
	other := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n"
	text := podWithImage + "---\n" + other
	ctx := context.Background()
	res, err := e.Analyze(ctx, Input{Text: text}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.PolicyErrors) != 1 {
		t.Fatalf("policy errors = %v; want the helper's conflict", res.PolicyErrors)
	}
	res.Compact()
	at := strings.Index(text, "{a: b}")
	m, err := res.Mapper.Replace(at, at+len("{a: b}"), "{a: c}")
	if err != nil {
		t.Fatal(err)
	}
	next, err := e.Reanalyze(ctx, Input{Text: m.Text()}, m, res)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(next.PolicyErrors, res.PolicyErrors) {
		t.Errorf("after an edit in the ConfigMap, policy errors = %v, want %v", next.PolicyErrors, res.PolicyErrors)
	}
}
