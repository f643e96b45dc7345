package analysis

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"

	"go.yaml.in/yaml/v3"
)

// Config is the engine's configuration: the keys of .kube-policy.yaml (SPEC.md section 6),
// also accepted from LSP initializationOptions and workspace/configuration.
type Config struct {
	Profile           string                `yaml:"profile" json:"profile,omitempty"`
	KubernetesVersion string                `yaml:"kubernetesVersion" json:"kubernetesVersion,omitempty"`
	Rules             map[string]RuleConfig `yaml:"rules" json:"rules,omitempty"`
	Defaults          Defaults              `yaml:"defaults" json:"defaults,omitempty"`
	Policies          []string              `yaml:"policies" json:"policies,omitempty"`
	PodSpecPaths      []PodSpecPath         `yaml:"podSpecPaths" json:"podSpecPaths,omitempty"`
	Exclude           []string              `yaml:"exclude" json:"exclude,omitempty"`
	Helm              HelmConfig            `yaml:"helm" json:"helm,omitzero"`
	// Kustomize: false checks no overlay through its build (a directory with a
	// kustomization.yaml); nil or true builds them.
	Kustomize *bool `yaml:"kustomize" json:"kustomize,omitempty"`

	// BaseDir resolves relative policy directories: the configuration file's directory, or
	// the workspace root for editor settings.
	BaseDir string `yaml:"-" json:"-"`

	src *yaml.Node // the YAML it was parsed from, to place errors found later at their key
}

// KustomizeEnabled reports whether overlays are built (the kustomize key; on by default).
func (c Config) KustomizeEnabled() bool { return c.Kustomize == nil || *c.Kustomize }

// HelmConfig says how charts are rendered (helm template's flags). Relative values files are
// taken from BaseDir.
type HelmConfig struct {
	Values      []string `yaml:"values" json:"values,omitempty"`           // values files, applied in order
	Set         []string `yaml:"set" json:"set,omitempty"`                 // key=value pairs, applied last
	ReleaseName string   `yaml:"releaseName" json:"releaseName,omitempty"` // default release-name
	Namespace   string   `yaml:"namespace" json:"namespace,omitempty"`     // default "default"
	KubeVersion string   `yaml:"kubeVersion" json:"kubeVersion,omitempty"` // .Capabilities.KubeVersion
	APIVersions []string `yaml:"apiVersions" json:"apiVersions,omitempty"` // added to .Capabilities.APIVersions
}

// RuleConfig tunes one rule.
type RuleConfig struct {
	Enabled  *bool          `yaml:"enabled" json:"enabled,omitempty"`
	Severity string         `yaml:"severity" json:"severity,omitempty"`
	Params   map[string]any `yaml:"params" json:"params,omitempty"`
}

// Defaults are the values that fixes insert.
type Defaults struct {
	Resources ResourceDefaults `yaml:"resources" json:"resources,omitempty"`
}

// ResourceDefaults are the values resource fixes insert.
type ResourceDefaults struct {
	CPURequest    string `yaml:"cpuRequest" json:"cpuRequest,omitempty"`
	CPULimit      string `yaml:"cpuLimit" json:"cpuLimit,omitempty"`
	MemoryRequest string `yaml:"memoryRequest" json:"memoryRequest,omitempty"`
	MemoryLimit   string `yaml:"memoryLimit" json:"memoryLimit,omitempty"`
}

// PodSpecPath tells where a custom workload kind keeps its pod spec.
type PodSpecPath struct {
	APIVersion string `yaml:"apiVersion" json:"apiVersion"`
	Kind       string `yaml:"kind" json:"kind"`
	Path       string `yaml:"path" json:"path"` // dotted, e.g. spec.template.spec
}

// Kubernetes versions whose semantics the rules know.
const (
	MinKubernetesMinor    = 19
	LatestKubernetesMinor = 37
)

// ConfigError is one problem in a configuration file, at a 1-based line and column (0 when
// unknown).
type ConfigError struct {
	Line, Column int
	Msg          string
}

func (e ConfigError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return e.Msg
}

// ConfigErrors are all the problems found in one configuration.
type ConfigErrors []ConfigError

func (es ConfigErrors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "; ")
}

var typeErrorLine = regexp.MustCompile(`^line (\d+): (.*)$`)

// ParseConfig reads a configuration file's YAML (or JSON). Unknown keys are errors, so that a
// typo does not silently do nothing. The error is ConfigErrors, each placed at its key.
func ParseConfig(data []byte) (Config, error) {
	var c Config
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		line := 0
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		if m := typeErrorLine.FindStringSubmatch(msg); m != nil {
			line, _ = strconv.Atoi(m[1])
			msg = m[2]
		}
		return Config{}, ConfigErrors{{Line: line, Msg: msg}}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return Config{}, ConfigErrors{{Msg: err.Error()}}
		}
		var errs ConfigErrors
		for _, msg := range te.Errors {
			ce := ConfigError{Msg: msg}
			if m := typeErrorLine.FindStringSubmatch(msg); m != nil {
				ce.Line, _ = strconv.Atoi(m[1])
				ce.Msg = m[2]
				ce.Column = keyColumn(&root, ce.Line)
			}
			errs = append(errs, ce)
		}
		return Config{}, errs
	}
	if err := c.validate(&root); err != nil {
		return Config{}, err
	}
	c.src = &root
	return c, nil
}

// keyColumn is the column of the first key on a line, for errors that carry only a line.
func keyColumn(n *yaml.Node, line int) int {
	if n.Line == line {
		return n.Column
	}
	for _, c := range n.Content {
		if col := keyColumn(c, line); col > 0 {
			return col
		}
	}
	return 0
}

// configKeyAt finds the key node at a path of a configuration (strings and list indexes), or the
// deepest existing one: the list item itself for an index.
func configKeyAt(root *yaml.Node, path ...any) *yaml.Node {
	n := root
	if n != nil && n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	steps := yamldoc.Walk(n, path)
	if len(steps) == 0 {
		return n
	}
	if last := steps[len(steps)-1]; last.Key != nil {
		return last.Key
	}
	return steps[len(steps)-1].Node
}

// KubernetesMinor returns the configured minor version (1.37 -> 37), or the latest.
func (c Config) KubernetesMinor() int {
	minor, err := parseKubernetesVersion(c.KubernetesVersion)
	if err != nil || minor == 0 {
		return LatestKubernetesMinor
	}
	return minor
}

func parseKubernetesVersion(v string) (int, error) {
	if v == "" {
		return 0, nil
	}
	v = strings.TrimPrefix(v, "v")
	major, minor, ok := strings.Cut(v, ".")
	if ok {
		minor, _, _ = strings.Cut(minor, ".")
	}
	n, err := strconv.Atoi(minor)
	if !ok || major != "1" || err != nil || n < MinKubernetesMinor || n > LatestKubernetesMinor {
		return 0, fmt.Errorf("kubernetesVersion %q: want 1.%d to 1.%d", v, MinKubernetesMinor, LatestKubernetesMinor)
	}
	return n, nil
}

// Validate checks values that the YAML decoder cannot.
func (c Config) Validate() error { return c.validate(nil) }

// errorAt places a problem at a key of the configuration's YAML, when it came from YAML.
func errorAt(root *yaml.Node, msg string, path ...any) ConfigError {
	e := ConfigError{Msg: msg}
	if n := configKeyAt(root, path...); root != nil && n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	return e
}

// validate checks the values; with the configuration's YAML, each error is placed at its key.
func (c Config) validate(root *yaml.Node) error {
	var errs ConfigErrors
	add := func(msg string, path ...any) { errs = append(errs, errorAt(root, msg, path...)) }
	if c.Profile != "" && !slices.Contains(Profiles, c.Profile) {
		add(fmt.Sprintf("profile %q: want one of %s", c.Profile, strings.Join(Profiles, ", ")), "profile")
	}
	if _, err := parseKubernetesVersion(c.KubernetesVersion); err != nil {
		add(err.Error(), "kubernetesVersion")
	}
	for _, id := range slices.Sorted(maps.Keys(c.Rules)) {
		if sev := c.Rules[id].Severity; sev != "" {
			if _, err := ParseSeverity(sev); err != nil {
				add(fmt.Sprintf("rules.%s.severity: %v", id, err), "rules", id, "severity")
			}
		}
	}
	for i, p := range c.PodSpecPaths {
		if p.APIVersion == "" || p.Kind == "" || p.Path == "" {
			add(fmt.Sprintf("podSpecPaths[%d]: apiVersion, kind and path are required", i), "podSpecPaths", i)
		}
	}
	for i, g := range c.Exclude {
		if _, err := path.Match(g, ""); err != nil {
			add(fmt.Sprintf("exclude[%d]: bad pattern %q", i, g), "exclude", i)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// profile returns the effective profile name.
func (c Config) profile() string {
	if c.Profile == "" {
		return "default"
	}
	return c.Profile
}

// regoData is what rules see as data.kubepolicy.config (policies/README.md).
func (c Config) regoData() map[string]any {
	params := map[string]any{}
	for id, rc := range c.Rules {
		if len(rc.Params) > 0 {
			params[id] = rc.Params
		}
	}
	res := map[string]any{}
	for k, v := range map[string]string{
		"cpuRequest": c.Defaults.Resources.CPURequest, "cpuLimit": c.Defaults.Resources.CPULimit,
		"memoryRequest": c.Defaults.Resources.MemoryRequest, "memoryLimit": c.Defaults.Resources.MemoryLimit,
	} {
		if v != "" {
			res[k] = v
		}
	}
	var paths []any
	for _, p := range c.PodSpecPaths {
		var segs []any
		for _, s := range strings.Split(p.Path, ".") {
			segs = append(segs, s)
		}
		paths = append(paths, map[string]any{"apiVersion": p.APIVersion, "kind": p.Kind, "path": segs})
	}
	return map[string]any{
		"profile":         c.profile(),
		"kubernetesMinor": c.KubernetesMinor(),
		"params":          params,
		"defaults":        map[string]any{"resources": res},
		"podSpecPaths":    paths,
	}
}
