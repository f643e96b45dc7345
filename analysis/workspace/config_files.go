package workspace

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
)

// Configuration comes from two places, merged key by key: the .kube-policy.yaml that governs
// each file, and the overlay (the editor's settings, check's --profile), which wins, since
// editors send only what the user set. A configuration file whose text is not valid keeps
// its last valid content in force.

// configFile is what was last read of a configuration file.
type configFile struct {
	cfg     analysis.Config // the last valid content
	applied []byte          // cfg encoded, to tell whether a new text changes anything
	readAt  time.Time       // when it was last read
}

// loadConfigFile reads a configuration file and returns its last valid content, and why the
// current content is not valid (also told to Hooks.ConfigRead).
func (w *Workspace) loadConfigFile(path string) (analysis.Config, error) {
	readAt := time.Now()
	data, err := w.readConfig(path)
	var cfg analysis.Config
	if err == nil {
		cfg, err = analysis.ParseConfig(data)
	}
	w.mu.Lock()
	f := w.files[path]
	if f == nil {
		f = &configFile{}
		w.files[path] = f
	}
	f.readAt = readAt
	if err == nil {
		f.cfg, f.applied = cfg, encodeConfig(cfg)
	}
	last := f.cfg
	w.mu.Unlock()
	if w.hooks.ConfigRead != nil {
		w.hooks.ConfigRead(path, data, err)
	}
	if err != nil {
		return last, fmt.Errorf("configuration %s: %w", path, err)
	}
	return last, nil
}

// Configures compares cfg, a new text of the configuration file at path, with what the
// engines were built from: read is false when no engine read the file, same when cfg
// configures the same.
func (w *Workspace) Configures(path string, cfg analysis.Config) (read, same bool) {
	w.mu.Lock()
	f := w.files[path]
	w.mu.Unlock()
	if f == nil {
		return false, false
	}
	return true, bytes.Equal(encodeConfig(cfg), f.applied)
}

// encodeConfig encodes what a configuration configures, to compare two of them.
func encodeConfig(c analysis.Config) []byte {
	b, err := json.Marshal(c)
	if err != nil {
		return nil
	}
	return b
}

// mergeConfig applies the overlay over a configuration file's, key by key.
func mergeConfig(file, overlay analysis.Config) analysis.Config {
	m := file // a copy that keeps the file's YAML, so errors point at its keys
	if overlay.Profile != "" {
		m.Profile = overlay.Profile
	}
	if overlay.KubernetesVersion != "" {
		m.KubernetesVersion = overlay.KubernetesVersion
	}
	if len(overlay.Rules) > 0 {
		rules := maps.Clone(file.Rules)
		if rules == nil {
			rules = map[string]analysis.RuleConfig{}
		}
		for id, r := range overlay.Rules {
			base := rules[id]
			if r.Enabled != nil {
				base.Enabled = r.Enabled
			}
			if r.Severity != "" {
				base.Severity = r.Severity
			}
			if len(r.Params) > 0 {
				params := maps.Clone(base.Params)
				if params == nil {
					params = map[string]any{}
				}
				maps.Copy(params, r.Params)
				base.Params = params
			}
			rules[id] = base
		}
		m.Rules = rules
	}
	res, or := &m.Defaults.Resources, overlay.Defaults.Resources
	for _, f := range []struct {
		dst *string
		src string
	}{
		{&res.CPURequest, or.CPURequest}, {&res.CPULimit, or.CPULimit},
		{&res.MemoryRequest, or.MemoryRequest}, {&res.MemoryLimit, or.MemoryLimit},
	} {
		if f.src != "" {
			*f.dst = f.src
		}
	}
	m.Policies = append(slices.Clone(file.Policies), overlay.Policies...)
	m.PodSpecPaths = append(slices.Clone(file.PodSpecPaths), overlay.PodSpecPaths...)
	m.Exclude = append(slices.Clone(file.Exclude), overlay.Exclude...)
	m.Helm = mergeHelm(file.Helm, overlay.Helm)
	if overlay.Kustomize != nil {
		m.Kustomize = overlay.Kustomize
	}
	return m
}

// mergeHelm applies the overlay's helm keys over the file's: values files and --set pairs
// add to the file's, the rest replace.
func mergeHelm(file, overlay analysis.HelmConfig) analysis.HelmConfig {
	m := file
	m.Values = append(slices.Clone(file.Values), overlay.Values...)
	m.Set = append(slices.Clone(file.Set), overlay.Set...)
	m.APIVersions = append(slices.Clone(file.APIVersions), overlay.APIVersions...)
	for _, f := range []struct {
		dst *string
		src string
	}{
		{&m.ReleaseName, overlay.ReleaseName}, {&m.Namespace, overlay.Namespace}, {&m.KubeVersion, overlay.KubeVersion},
	} {
		if f.src != "" {
			*f.dst = f.src
		}
	}
	return m
}

// ResolvePolicyDirs returns c with its policy directories resolved against its BaseDir
// (relative ones without a base are dropped: see analysis.Config.PolicyDirs), so that
// configurations of different bases merge.
func ResolvePolicyDirs(c analysis.Config) analysis.Config {
	c.Policies = c.PolicyDirs()
	return c
}

// Validate checks that a configuration builds an engine: its policy paths are directories,
// and NewEngine accepts it (profile, versions, known rules, parameters).
func Validate(ctx context.Context, c analysis.Config) error {
	if err := c.CheckPolicyDirs(); err != nil {
		return err
	}
	_, err := analysis.NewEngine(ctx, ResolvePolicyDirs(c))
	return err
}
