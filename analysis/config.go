package analysis

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

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

// ParseConfig reads a configuration file's YAML (or JSON). Unknown keys are errors, so that a
// typo does not silently do nothing.
func ParseConfig(data []byte) (Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	return c, c.Validate()
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
func (c Config) Validate() error {
	var errs []error
	if c.Profile != "" && !slices.Contains(Profiles, c.Profile) {
		errs = append(errs, fmt.Errorf("profile %q: want one of %s", c.Profile, strings.Join(Profiles, ", ")))
	}
	if _, err := parseKubernetesVersion(c.KubernetesVersion); err != nil {
		errs = append(errs, err)
	}
	for id, rc := range c.Rules {
		if rc.Severity != "" {
			if _, err := ParseSeverity(rc.Severity); err != nil {
				errs = append(errs, fmt.Errorf("rules.%s.severity: %w", id, err))
			}
		}
	}
	for i, p := range c.PodSpecPaths {
		if p.APIVersion == "" || p.Kind == "" || p.Path == "" {
			errs = append(errs, fmt.Errorf("podSpecPaths[%d]: apiVersion, kind and path are required", i))
		}
	}
	return errors.Join(errs...)
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
