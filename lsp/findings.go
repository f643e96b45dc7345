package lsp

import (
	"encoding/json"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"
)

// defaultDocsURL is where each rule's documentation lives unless the docsUrl setting says
// otherwise: docs/rules.md of the repository, where each rule's section has the rule id as
// its anchor (TestDocsLinksResolve checks every one).
const defaultDocsURL = analysis.RulesDocURL

// diagnosticData is the data of every diagnostic: what a code action needs to find the
// finding again in the document's latest analysis.Result (findFinding).
type diagnosticData struct {
	Rule    string `json:"rule"`
	Doc     int    `json:"doc"` // Finding.Doc: the index of the YAML document in the file
	Key     string `json:"key"` // findingKey
	Fixable bool   `json:"fixable,omitempty"`
	// LastValidVersion marks a finding of the document's last version that parsed, kept
	// while it has a syntax error (stale.go); 0 for a finding of the current text.
	LastValidVersion int32 `json:"lastValidVersion,omitempty"`
}

// findingKey identifies a finding across analyses of a file: its rule, its YAML document,
// where its object sits in the document (a List item) and the JSON path it reports.
func findingKey(f *analysis.Finding) string {
	b, _ := json.Marshal([]any{f.Rule, f.Doc, f.Item, f.Path})
	return string(b)
}

// findFinding returns the finding of res with the given key.
func findFinding(res *analysis.Result, key string) (analysis.Finding, bool) {
	if res == nil {
		return analysis.Finding{}, false
	}
	for i := range res.Findings {
		if findingKey(&res.Findings[i]) == key {
			return res.Findings[i], true
		}
	}
	return analysis.Finding{}, false
}

// decodeDiagnosticData reads the data of one of the server's diagnostics.
func decodeDiagnosticData(d protocol.Diagnostic) (diagnosticData, bool) {
	var data diagnosticData
	if len(d.Data) == 0 || json.Unmarshal(d.Data, &data) != nil || data.Key == "" {
		return diagnosticData{}, false
	}
	return data, true
}

// toDiagnostics turns a result's findings into diagnostics, positions in enc.
func toDiagnostics(res *analysis.Result, e *analysis.Engine, enc yamldoc.Encoding, sev severityMap, docs string) []protocol.Diagnostic {
	out := make([]protocol.Diagnostic, 0, len(res.Findings))
	for i := range res.Findings {
		f := &res.Findings[i]
		out = append(out, findingDiagnostic(res.Mapper, f, diagnosticData{Fixable: f.Fixable()}, enc, sev, docs))
	}
	return out
}

// findingDiagnostic is the diagnostic of f (ranges in m's text), its data filled in from f.
func findingDiagnostic(m *yamldoc.Mapper, f *analysis.Finding, data diagnosticData, enc yamldoc.Encoding, sev severityMap, docs string) protocol.Diagnostic {
	data.Rule, data.Doc, data.Key = f.Rule, f.Doc, findingKey(f)
	return ruleDiagnostic(toRange(m, f.Range, enc), f, f.Message, data, sev, docs)
}

// ruleDiagnostic is the diagnostic of a finding at r, saying msg.
func ruleDiagnostic(r protocol.Range, f *analysis.Finding, msg string, data diagnosticData, sev severityMap, docs string) protocol.Diagnostic {
	raw, _ := json.Marshal(data)
	return protocol.Diagnostic{
		Range:           r,
		Severity:        sev.of(f.Severity),
		Code:            protocol.String(f.Rule),
		CodeDescription: protocol.CodeDescription{Href: uri.URI(analysis.RuleDocURL(docs, f.Rule))},
		Source:          protocol.NewOptional(Name),
		Message:         protocol.String(msg),
		Data:            protocol.LSPAny(raw),
	}
}

// toRange converts a byte range of m's text to an LSP range.
func toRange(m *yamldoc.Mapper, r yamldoc.Range, enc yamldoc.Encoding) protocol.Range {
	return protocol.Range{Start: toPosition(m.Pos(r.Start, enc)), End: toPosition(m.Pos(r.End, enc))}
}

func toPosition(p yamldoc.Pos) protocol.Position {
	return protocol.Position{Line: uint32(p.Line), Character: uint32(p.Col)}
}

// severityMap gives the LSP severity of each finding severity.
type severityMap map[analysis.Severity]protocol.DiagnosticSeverity

// defaultSeverities is SPEC.md's mapping: critical and high are errors, medium warnings, low
// and the engine's notices information, an unused suppression a hint.
var defaultSeverities = severityMap{
	analysis.Critical: protocol.DiagnosticSeverityError,
	analysis.High:     protocol.DiagnosticSeverityError,
	analysis.Medium:   protocol.DiagnosticSeverityWarning,
	analysis.Low:      protocol.DiagnosticSeverityInformation,
	analysis.Info:     protocol.DiagnosticSeverityInformation,
	analysis.Hint:     protocol.DiagnosticSeverityHint,
}

func (m severityMap) of(s analysis.Severity) protocol.DiagnosticSeverity {
	if v, ok := m[s]; ok {
		return v
	}
	return defaultSeverities[s]
}

// lspSeverities are the names accepted in the diagnosticSeverity setting.
var lspSeverities = map[string]protocol.DiagnosticSeverity{
	"error":       protocol.DiagnosticSeverityError,
	"warning":     protocol.DiagnosticSeverityWarning,
	"information": protocol.DiagnosticSeverityInformation,
	"info":        protocol.DiagnosticSeverityInformation,
	"hint":        protocol.DiagnosticSeverityHint,
}
