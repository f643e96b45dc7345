package lsp

import (
	"testing"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"
)

// Fuzzing of the configuration the server reads from files and editors it does not control:
// a .kube-policy.yaml open in the editor (parsed, its errors placed as diagnostics in it) and
// the editor's settings.

var configSeeds = []string{
	"profile: pss-restricted\nkubernetesVersion: \"1.30\"\nrules:\n  run-as-high-uid:\n    enabled: false\n    params: {minUid: 10000}\n  privileged-container:\n    severity: low\nexclude: [\"vendor/**\"]\n",
	"profile: nope\n",
	"rules:\n  no-such-rule: {enabled: true}\n",
	"unknown: 1\n",
	"rules: [1, 2]\n",
	"\tprofile: x\n",
	"a: &a [*a]\n",
	"policies: [\"../p\"]\npodSpecPaths:\n- {apiVersion: x/v1, kind: K, path: spec.template.spec}\n",
	"defaults:\n  resources: {cpuRequest: 100m, memoryLimit: 1Gi}\n",
	"profile: pss-baseline\r\nrules:\r\n  host-pid: {severity: high}\r\n",
	"é😀: 1\n",
	"",
	"---\n---\n",
}

// FuzzConfigFile: whatever a configuration file holds, parsing it does not panic, a parsed
// one is valid, and every error becomes a diagnostic inside the file.
func FuzzConfigFile(f *testing.F) {
	for _, s := range configSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		cfg, err := analysis.ParseConfig([]byte(text))
		if err == nil {
			if verr := cfg.Validate(); verr != nil {
				t.Fatalf("parsed, then invalid: %v", verr)
			}
			return
		}
		m := yamldoc.NewMapper(text)
		diags := configErrorDiagnostics(m, err, yamldoc.UTF16)
		if len(diags) == 0 {
			t.Fatalf("error %v gave no diagnostic", err)
		}
		for _, d := range diags {
			start, err1 := offsetOf(m, d.Range.Start, yamldoc.UTF16)
			end, err2 := offsetOf(m, d.Range.End, yamldoc.UTF16)
			if err1 != nil || err2 != nil || end < start {
				t.Fatalf("diagnostic %q at %v is not a range of the %d-line file: %v %v", messageOf(d), d.Range, m.LineCount(), err1, err2)
			}
		}
	})
}

// FuzzParseSettings: whatever an editor sends as settings, decoding it does not panic, and
// settings it accepts are valid.
func FuzzParseSettings(f *testing.F) {
	for _, s := range []string{
		`{"kubePolicy": {"profile": "pss-restricted", "debounceMs": 0, "diagnosticSeverity": {"high": "warning"}, "rules": {"run-as-high-uid": {"enabled": false, "params": {"minUid": 1e3}}}}}`,
		`{"profile": "default", "exclude": ["a/**"], "policies": ["p"]}`,
		`{"kubePolicy": {"kubePolicy": {"debounceMs": 5}}}`,
		`{"debounceMs": -1}`, `{"debounceMs": 1.5}`, `{"diagnosticSeverity": {"nope": "error"}}`,
		`{"diagnosticSeverity": {"low": "loud"}}`, `{"rules": {"x": null}}`, `{"rules": {"privileged-container": {"params": null}}}`,
		`null`, `[]`, `"x"`, `{}`, ``, `{"kubePolicy": null}`, `{"rules": {"a": {"params": {"b": [1, {"c": 2.0}]}}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		set, err := parseSettings(raw)
		if err != nil {
			return
		}
		if verr := set.Validate(); verr != nil {
			t.Fatalf("accepted, then invalid: %v", verr)
		}
		if set.DebounceMs != nil && *set.DebounceMs < 0 {
			t.Fatalf("accepted debounceMs %d", *set.DebounceMs)
		}
		if len(set.severities()) != len(set.DiagnosticSeverity) {
			t.Fatalf("severities %v from %v", set.severities(), set.DiagnosticSeverity)
		}
	})
}
