package analysis

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	t.Parallel()
	c, err := ParseConfig([]byte(`profile: pss-restricted
kubernetesVersion: "1.29"
rules:
  cpu-limits: {enabled: false}
  run-as-high-uid: {severity: low, params: {minUID: 20000}}
defaults:
  resources: {cpuLimit: "1"}
podSpecPaths:
  - {apiVersion: example.com/v1, kind: Worker, path: spec.template.spec}
exclude: ["charts/**"]
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Profile != "pss-restricted" || c.KubernetesMinor() != 29 || *c.Rules["cpu-limits"].Enabled || c.Defaults.Resources.CPULimit != "1" || c.PodSpecPaths[0].Kind != "Worker" {
		t.Errorf("config = %+v", c)
	}
	if c, err := ParseConfig(nil); err != nil || c.profile() != "default" {
		t.Errorf("empty config: %+v, %v", c, err)
	}
}

func TestConfigErrorsArePlaced(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, text string
		line, col  int
		msg        string
	}{
		{"unknown key", "profile: default\nrulez: {}\n", 2, 1, "field rulez not found"},
		{"bad profile", "kubernetesVersion: \"1.30\"\nprofile: strict\n", 2, 1, `profile "strict"`},
		{"bad version", "kubernetesVersion: \"2.0\"\n", 1, 1, "kubernetesVersion"},
		{"bad severity", "rules:\n  cpu-limits:\n    severity: urgent\n", 3, 5, "unknown severity"},
		{"wrong type", "rules:\n  cpu-limits:\n    enabled: maybe\n", 3, 5, "cannot unmarshal"},
		{"incomplete podSpecPath", "podSpecPaths:\n  - {kind: Worker}\n", 2, 5, "required"},
		{"not YAML", "profile: [\n", 1, 0, "did not find"},
	}
	for _, tt := range tests {
		_, err := ParseConfig([]byte(tt.text))
		var errs ConfigErrors
		if !errors.As(err, &errs) || len(errs) == 0 {
			t.Errorf("%s: err = %v, want ConfigErrors", tt.name, err)
			continue
		}
		e := errs[0]
		if e.Line != tt.line || e.Column != tt.col || !strings.Contains(e.Msg, tt.msg) {
			t.Errorf("%s: %d:%d %q; want %d:%d containing %q", tt.name, e.Line, e.Column, e.Msg, tt.line, tt.col, tt.msg)
		}
	}
}

func TestUnknownRuleInConfigIsPlaced(t *testing.T) {
	t.Parallel()
	c, err := ParseConfig([]byte("profile: default\nrules:\n  host-pdi: {enabled: false}\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = NewEngine(context.Background(), c)
	var errs ConfigErrors
	if !errors.As(err, &errs) || errs[0].Line != 3 || errs[0].Column != 3 || !strings.Contains(errs[0].Msg, `did you mean "host-pid"`) {
		t.Errorf("err = %#v", err)
	}
}

// TestConfigSchemaCurrent keeps schema/kube-policy.schema.json in step with the Config type
// and the rule catalog.
func TestConfigSchemaCurrent(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("..", "schema", "kube-policy.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var schema struct {
		Properties map[string]struct {
			Properties map[string]any `json:"properties"`
			Enum       []string       `json:"enum"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(data, &schema); err != nil {
		t.Fatal(err)
	}
	if got := schema.Properties["profile"].Enum; !reflect.DeepEqual(got, Profiles) {
		t.Errorf("schema's profiles %v, want %v", got, Profiles)
	}
	keys := reflect.TypeOf(Config{})
	for i := range keys.NumField() {
		tag := strings.Split(keys.Field(i).Tag.Get("yaml"), ",")[0]
		if tag == "" || tag == "-" {
			continue
		}
		if _, ok := schema.Properties[tag]; !ok {
			t.Errorf("schema lacks the config key %q", tag)
		}
	}
	e := newTestEngine(t, Config{})
	for _, r := range e.Rules() {
		if _, ok := schema.Properties["rules"].Properties[r.ID]; !ok && r.Package != "" {
			t.Errorf("schema lacks rule %s", r.ID)
		}
	}
}

// default, recommended and all nest; the pss-* profiles stand apart.
func TestInProfile(t *testing.T) {
	t.Parallel()
	cases := []struct {
		lists   []string
		profile string
		want    bool
	}{
		{[]string{"default"}, "default", true},
		{[]string{"default"}, "recommended", true},
		{[]string{"default"}, "all", true},
		{[]string{"default"}, "pss-baseline", false},
		{[]string{"recommended"}, "default", false},
		{[]string{"recommended"}, "recommended", true},
		{[]string{"recommended"}, "all", true},
		{[]string{"all"}, "recommended", false},
		{[]string{"all"}, "all", true},
		{[]string{"pss-baseline"}, "all", false},
		{[]string{"pss-baseline"}, "pss-baseline", true},
		{[]string{"default", "pss-restricted"}, "pss-restricted", true},
		{nil, "all", false},
	}
	for _, c := range cases {
		if got := InProfile(c.lists, c.profile); got != c.want {
			t.Errorf("InProfile(%v, %q) = %v, want %v", c.lists, c.profile, got, c.want)
		}
	}
}
