package main

import (
	"encoding/json"
	"path/filepath"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
)

// SARIF 2.1.0, the subset that code-scanning tools read.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifRule struct {
	ID               string         `json:"id"`
	Name             string         `json:"name"`
	ShortDescription sarifText      `json:"shortDescription"`
	FullDescription  sarifText      `json:"fullDescription"`
	Help             sarifText      `json:"help"`
	HelpURI          string         `json:"helpUri"`
	Default          sarifLevel     `json:"defaultConfiguration"`
	Properties       map[string]any `json:"properties"`
}

type sarifLevel struct {
	Level string `json:"level"`
}

type sarifResult struct {
	RuleID       string             `json:"ruleId"`
	RuleIndex    int                `json:"ruleIndex"`
	Level        string             `json:"level"`
	Message      sarifText          `json:"message"`
	Locations    []sarifLocation    `json:"locations"`
	Related      []sarifRelated     `json:"relatedLocations,omitempty"`
	Suppressions []sarifSuppression `json:"suppressions,omitempty"`
	Fixes        []sarifFix         `json:"fixes,omitempty"`
}

// sarifFix is a finding's quick fix as text replacements, for tools that offer to apply it.
type sarifFix struct {
	Description sarifText `json:"description"`
	Changes     []struct {
		Artifact     sarifArtifact      `json:"artifactLocation"`
		Replacements []sarifReplacement `json:"replacements"`
	} `json:"artifactChanges"`
}

type sarifReplacement struct {
	Deleted  sarifRegion `json:"deletedRegion"`
	Inserted struct {
		Text string `json:"text"`
	} `json:"insertedContent"`
}

type sarifSuppression struct {
	Kind          string `json:"kind"` // inSource: the suppression is written in the manifest
	Justification string `json:"justification"`
}

type sarifLocation struct {
	Physical sarifPhysical `json:"physicalLocation"`
}

// sarifRelated is a location linked to a result: the values key behind a chart finding.
type sarifRelated struct {
	ID       int           `json:"id"`
	Physical sarifPhysical `json:"physicalLocation"`
	Message  sarifText     `json:"message"`
}

type sarifPhysical struct {
	Artifact sarifArtifact `json:"artifactLocation"`
	Region   sarifRegion   `json:"region"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn"`
	EndLine     int `json:"endLine"`
	EndColumn   int `json:"endColumn"`
}

func sarifLevelOf(s analysis.Severity) string {
	switch s {
	case analysis.Critical, analysis.High:
		return "error"
	case analysis.Medium:
		return "warning"
	}
	if s == analysis.Hint {
		return "none"
	}
	return "note"
}

// securitySeverity is the CVSS-like score GitHub code scanning ranks security results by.
var securitySeverity = map[analysis.Severity]string{
	analysis.Critical: "9.5", analysis.High: "7.5", analysis.Medium: "5.0", analysis.Low: "3.0", analysis.Info: "0.0", analysis.Hint: "0.0",
}

func (r report) sarif() error {
	rules, err := r.catalog()
	if err != nil {
		return err
	}
	index := map[string]int{}
	driver := sarifDriver{Name: "kube-policy-ls", Version: version, InformationURI: analysis.RulesDocURL}
	for i, rule := range rules {
		index[rule.ID] = i
		driver.Rules = append(driver.Rules, sarifRule{
			ID: rule.ID, Name: rule.Title,
			ShortDescription: sarifText{Text: rule.Title},
			FullDescription:  sarifText{Text: rule.Description},
			Help: sarifText{
				Text:     rule.Help(analysis.HelpOptions{Severity: rule.Severity}),
				Markdown: rule.Help(analysis.HelpOptions{Markdown: true, Severity: rule.Severity}),
			},
			HelpURI: analysis.RuleDocURL("", rule.ID),
			Default: sarifLevel{sarifLevelOf(rule.Severity)},
			Properties: map[string]any{
				"tags":              append([]string{"security", "kubernetes"}, rule.Profiles...),
				"security-severity": securitySeverity[rule.Severity],
			},
		})
	}
	run := sarifRun{Tool: sarifTool{Driver: driver}, Results: []sarifResult{}}
	for _, c := range r.results {
		if p := c.placedFindings(); p != nil {
			for _, f := range p.all() {
				run.Results = append(run.Results, f.sarif(index))
			}
			continue
		}
		if c.result == nil {
			continue
		}
		uri := filepath.ToSlash(c.src.path)
		if c.src.path == "-" {
			uri = "stdin"
		}
		for _, f := range r.shown(c.result, true) {
			res := sarifResultOf(&f, index, f.Message+overlayNote(c.overlaysOf(f)), uri, spanOf(c.result.Mapper, f.Range))
			res.Fixes = sarifFixes(c.result, f, uri)
			run.Results = append(run.Results, res)
		}
	}
	enc := json.NewEncoder(r.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs:    []sarifRun{run},
	})
}

// sarifResultOf is a finding of the SARIF report at sp in the file of uri, without what
// only some findings have (fixes, related locations).
func sarifResultOf(f *analysis.Finding, index map[string]int, message, uri string, sp span) sarifResult {
	res := sarifResult{
		RuleID: f.Rule, RuleIndex: index[f.Rule], Level: sarifLevelOf(f.Severity),
		Message: sarifText{Text: message},
		Locations: []sarifLocation{{Physical: sarifPhysical{
			Artifact: sarifArtifact{URI: uri},
			Region:   sarifRegion{sp.Line, sp.Column, sp.EndLine, sp.EndColumn},
		}}},
	}
	if f.Suppressed != nil {
		res.Suppressions = []sarifSuppression{{Kind: "inSource", Justification: f.Suppressed.By + ": " + f.Suppressed.Reason}}
	}
	return res
}

// sarifFixes is the finding's fix, if it has one that applies safely.
func sarifFixes(res *analysis.Result, f analysis.Finding, uri string) []sarifFix {
	if !f.Fixable() {
		return nil
	}
	edits, err := res.FixEdits(f)
	if err != nil || len(edits) == 0 {
		return nil
	}
	fix := sarifFix{Description: sarifText{Text: res.FixTitle(f)}}
	fix.Changes = make([]struct {
		Artifact     sarifArtifact      `json:"artifactLocation"`
		Replacements []sarifReplacement `json:"replacements"`
	}, 1)
	fix.Changes[0].Artifact = sarifArtifact{URI: uri}
	for _, e := range edits {
		sp := spanOf(res.Mapper, e.Range)
		var rep sarifReplacement
		rep.Deleted = sarifRegion{sp.Line, sp.Column, sp.EndLine, sp.EndColumn}
		rep.Inserted.Text = e.NewText
		fix.Changes[0].Replacements = append(fix.Changes[0].Replacements, rep)
	}
	return []sarifFix{fix}
}
