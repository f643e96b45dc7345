package lsp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"reflect"
	"slices"
	"strings"

	"go.lsp.dev/protocol"
	"go.uber.org/zap"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/workspace"
)

// The editor's settings (section kubePolicy): decoding, validation, and the three ways they
// arrive (initializationOptions, workspace/configuration, workspace/didChangeConfiguration).

// configSection is the server's settings section.
const configSection = "kubePolicy"

// settings are the editor's kubePolicy settings: the keys of .kube-policy.yaml and the
// server's own.
type settings struct {
	analysis.Config
	DebounceMs *int `json:"debounceMs,omitempty"` // delay between an edit and its analysis
	// DiagnosticSeverity maps finding severities (critical, high, medium, low, info) to LSP
	// ones (error, warning, information, hint).
	DiagnosticSeverity map[string]string `json:"diagnosticSeverity,omitempty"`
	// DocsURL is the rule documentation (docs/rules.md) that diagnostics and hovers link to,
	// each rule at its anchor: a mirror, a fork, or a file:// URL of a local copy.
	DocsURL string `json:"docsUrl,omitempty"`

	sev severityMap
}

func (s settings) severities() severityMap { return s.sev }

// docs is the base URL of the rule documentation links.
func (s settings) docs() string {
	if s.DocsURL != "" {
		return s.DocsURL
	}
	return defaultDocsURL
}

// parseSettings reads settings sent by an editor: the keys themselves, or an object with the
// keys under "kubePolicy". Unknown keys are ignored (editors send their own).
func parseSettings(raw []byte) (settings, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return settings{}, nil
	}
	var wrapped map[string]json.RawMessage
	if err := json.Unmarshal(raw, &wrapped); err != nil {
		return settings{}, fmt.Errorf("settings are not a JSON object: %w", err)
	}
	if inner, ok := wrapped[configSection]; ok {
		return parseSettings(inner)
	}
	var set settings
	if err := json.Unmarshal(raw, &set); err != nil {
		return settings{}, fmt.Errorf("settings: %w", err)
	}
	for id, rc := range set.Rules {
		rc.Params = integral(rc.Params).(map[string]any)
		set.Rules[id] = rc
	}
	if err := set.Validate(); err != nil {
		return settings{}, err
	}
	if set.DebounceMs != nil && *set.DebounceMs < 0 {
		return settings{}, fmt.Errorf("debounceMs: %d is negative", *set.DebounceMs)
	}
	if set.DocsURL != "" {
		if u, err := url.Parse(set.DocsURL); err != nil || !slices.Contains([]string{"http", "https", "file"}, u.Scheme) || u.Fragment != "" {
			return settings{}, fmt.Errorf("docsUrl: %q is not an http, https or file URL without a #fragment", set.DocsURL)
		}
	}
	set.sev = severityMap{}
	for name, lspName := range set.DiagnosticSeverity {
		from, err := analysis.ParseSeverity(name)
		if err != nil {
			return settings{}, fmt.Errorf("diagnosticSeverity: %w", err)
		}
		to, ok := lspSeverities[strings.ToLower(lspName)]
		if !ok {
			return settings{}, fmt.Errorf("diagnosticSeverity.%s: %q is not error, warning, information or hint", name, lspName)
		}
		set.sev[from] = to
	}
	return set, nil
}

// integral turns whole JSON numbers into ints, as YAML gives them, so that rule parameters
// from settings and from .kube-policy.yaml look the same to the engine.
func integral(v any) any {
	switch x := v.(type) {
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int(x)
		}
	case map[string]any:
		if x == nil {
			return x
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = integral(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = integral(e)
		}
		return out
	}
	return v
}

// empty reports whether the settings set nothing at all.
func (s settings) empty() bool {
	c := s.Config
	return c.Profile == "" && c.KubernetesVersion == "" && len(c.Rules) == 0 && c.Defaults == (analysis.Defaults{}) &&
		len(c.Policies) == 0 && len(c.PodSpecPaths) == 0 && len(c.Exclude) == 0 &&
		s.DebounceMs == nil && len(s.DiagnosticSeverity) == 0 && s.DocsURL == ""
}

// applySettings puts new editor settings in force, after checking that they build an engine
// (unknown rules, bad parameters); invalid ones are reported and the last good ones stay.
//
// Settings that set nothing (null, {}: a client that does not know the section, such as
// Neovim with init_options only) leave the initializationOptions in force, until the client
// has once sent settings of its own: from then on, nothing means that the user cleared them.
func (s *Server) applySettings(raw []byte, origin string) {
	s.mu.Lock()
	s.settings.seq++
	seq := s.settings.seq
	s.mu.Unlock()
	base := ""
	if folders := s.ws.Folders(); len(folders) > 0 {
		base = folders[0]
	}
	set, err := parseSettings(raw)
	if err == nil {
		cfg := set.Config
		cfg.BaseDir = base
		_, err = analysis.NewEngine(s.ctx, workspace.ResolvePolicyDirs(cfg))
	}
	if err != nil {
		if s.ctx.Err() == nil {
			msg := fmt.Sprintf("kube-policy-ls: %s settings ignored: %v", origin, err)
			s.logToClient(protocol.MessageTypeWarning, msg)
			s.showMessage(protocol.MessageTypeWarning, msg)
		}
		return
	}
	s.mu.Lock()
	if seq != s.settings.seq {
		s.mu.Unlock()
		return
	}
	if !set.empty() {
		s.settings.sawSettings = true
	} else if !s.settings.sawSettings {
		set = s.settings.init
		s.log.Debug("the client sent no settings: the initializationOptions stay in force", zap.String("from", origin))
	}
	if reflect.DeepEqual(set, s.settings.editor) {
		s.mu.Unlock()
		return
	}
	s.settings.editor, s.settings.shownError = set, ""
	s.reanalyseLocked(s.ws.SetOverlay(set.Config))
	s.mu.Unlock()
	s.refreshPulledDiagnostics()
	s.logToClient(protocol.MessageTypeInfo, "kube-policy-ls: settings applied from "+origin)
}

// fetchConfiguration asks the client for the kubePolicy section and applies it.
func (s *Server) fetchConfiguration() {
	ctx, cancel := context.WithTimeout(s.ctx, clientCallTimeout)
	defer cancel()
	section := configSection
	res, err := s.client.Configuration(ctx, &protocol.ConfigurationParams{Items: []protocol.ConfigurationItem{{Section: &section}}})
	if err != nil {
		s.log.Warn("workspace/configuration failed", zap.Error(err))
		return
	}
	if len(res) == 0 {
		return
	}
	s.applySettings(res[0], "workspace/configuration")
}

func (s *Server) didChangeConfiguration(p *protocol.DidChangeConfigurationParams) {
	s.mu.Lock()
	pullConfig := s.caps.Workspace != nil && isTrue(s.caps.Workspace.Configuration)
	s.mu.Unlock()
	if pullConfig {
		// The notification may carry every key with its default value (VS Code does);
		// workspace/configuration answers with what the user set.
		s.goSafe("workspace/configuration", s.fetchConfiguration)
		return
	}
	raw := slices.Clone(p.Settings)
	s.goSafe("settings", func() { s.applySettings(raw, "workspace/didChangeConfiguration") })
}
