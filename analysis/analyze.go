package analysis

import (
	"context"
	"fmt"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"

	"github.com/open-policy-agent/opa/v1/ast"
)

// Input is one file to analyse.
type Input struct {
	Path string // as the user named it; only for messages and reports
	Text string
	// Helm marks an unrendered Helm template (languageId "helm", or a file under a chart's
	// templates/). Templates are also recognised by content when they do not parse.
	Helm bool
}

// Result is the analysis of one file.
type Result struct {
	Path       string
	Mapper     *yamldoc.Mapper // over the analysed text: converts Finding ranges to lines and columns
	Docs       []*DocResult
	Findings   []Finding // every document's findings, in file offsets, sorted by position
	Suppressed []Finding // findings silenced by a suppression, each with its Suppressed reason
	Objects    int       // Kubernetes objects checked

	PolicyErrors []PolicyError // custom rules that failed or timed out on this file
	Skipped      bool          // the file was not checked (a limit, binary content, a Helm template)

	engine *Engine
}

// DocResult is the analysis of one document. Its findings are document-relative, so it can be
// reused for an identical document anywhere in a later version of the file.
type DocResult struct {
	Doc        *yamldoc.Document
	Objects    []yamldoc.Object
	Findings   []Finding // ranges relative to Doc.Text
	Suppressed []Finding // likewise, the findings a suppression silenced
	Err        error     // an evaluation failure (a policy bug); the findings are then incomplete

	PolicyErrors []PolicyError // custom rules that failed or timed out on this document

	verdicts []*verdict // the built-in rules' verdicts on the document's objects (verdict.go)
	edited   bool       // Reanalyze analysed it for the last edit: Compact keeps its tree
}

// Limits that protect the process from hostile or accidental input (SPEC.md section 2).
const (
	MaxFileSize  = 10 << 20
	MaxDocuments = 10_000
	MaxLineBytes = 1 << 20
)

// parallelThreshold is the text size above which a file's documents are evaluated on
// several cores: below it, goroutines cost more than they save.
const parallelThreshold = 64 << 10

// Analyze checks one file. prev, the result for an earlier version of the same file from the
// same engine, lets unchanged documents be reused without parsing or evaluating them again.
// The error is only for cancellation: everything wrong with the input is a finding.
func (e *Engine) Analyze(ctx context.Context, in Input, prev *Result) (*Result, error) {
	res := &Result{Path: in.Path, Mapper: yamldoc.NewMapper(in.Text), engine: e}
	if f, refused := e.refuse(in, res.Mapper); refused {
		res.Findings, res.Skipped = []Finding{f}, true
		return res, nil
	}
	if in.Helm {
		res.Findings, res.Skipped = []Finding{e.helmNotice(in.Text, res.Mapper)}, true
		return res, nil
	}
	docs := yamldoc.SplitMapped(res.Mapper)
	if len(docs) > MaxDocuments {
		res.Findings = []Finding{e.limitFinding(res.Mapper, fmt.Sprintf("file has %d YAML documents, over the limit of %d: not checked", len(docs), MaxDocuments))}
		res.Skipped = true
		return res, nil
	}
	reuse := map[uint64]*DocResult{}
	if prev != nil && prev.engine == e {
		for _, d := range prev.Docs {
			reuse[d.Doc.Hash] = d
		}
	}
	res.Docs = make([]*DocResult, len(docs))
	var todo []int
	for i, d := range docs {
		if old, ok := reuse[d.Hash]; ok && old.Doc.Text == d.Text && reusable(old, d) {
			res.Docs[i] = old.movedTo(old.Doc.MovedTo(d, res.Mapper.Text()))
			continue
		}
		todo = append(todo, i)
	}
	if err := e.analyzeDocs(ctx, docs, todo, res.Docs, len(in.Text) >= parallelThreshold, nil); err != nil {
		return nil, err
	}
	if isHelmTemplate(in.Text, res.Docs) {
		res.Docs = nil
		res.Findings, res.Skipped = []Finding{e.helmNotice(in.Text, res.Mapper)}, true
		return res, nil
	}
	res.gather()
	return res, nil
}

// movedTo is old, the analysis of a document with doc's text, taken over for doc.
func (old *DocResult) movedTo(doc *yamldoc.Document) *DocResult {
	r := *old
	r.Doc, r.edited = doc, false
	return &r
}

// gather sets the file's findings, suppressed findings, policy errors and object count from
// its documents'.
func (res *Result) gather() {
	// Size the lists once: a Finding is some 200 bytes, and growing by doubling copies each
	// one several times.
	nf, ns := 0, 0
	for _, d := range res.Docs {
		nf, ns = nf+len(d.Findings), ns+len(d.Suppressed)
	}
	if nf > 0 {
		res.Findings = make([]Finding, 0, nf)
	}
	if ns > 0 {
		res.Suppressed = make([]Finding, 0, ns)
	}
	for _, d := range res.Docs {
		res.Objects += len(d.Objects)
		res.Findings = appendRebased(res.Findings, d.Findings, d.Doc)
		res.Suppressed = appendRebased(res.Suppressed, d.Suppressed, d.Doc)
		res.PolicyErrors = append(res.PolicyErrors, d.PolicyErrors...)
	}
	sortFindings(res.Findings)
	sortFindings(res.Suppressed)
}

// appendRebased appends a document's findings with their ranges moved into the file.
func appendRebased(dst, fs []Finding, d *yamldoc.Document) []Finding {
	for _, f := range fs {
		f.Range = f.Range.Shift(d.Offset)
		f.Doc = d.Index
		dst = append(dst, f)
	}
	return dst
}

// analyzeDocs analyses docs[i] for every i in todo into out[i], on all cores when parallel,
// reusing the verdicts known has.
func (e *Engine) analyzeDocs(ctx context.Context, docs []*yamldoc.Document, todo []int, out []*DocResult, parallel bool, known verdicts) error {
	workers := 1
	if parallel {
		workers = min(runtime.GOMAXPROCS(0), len(todo))
	}
	if workers <= 1 {
		for _, i := range todo {
			if err := ctx.Err(); err != nil {
				return err
			}
			out[i] = e.analyzeDocument(ctx, docs[i], known)
		}
		return ctx.Err()
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i] = e.analyzeDocument(ctx, docs[i], known)
			}
		}()
	}
	for _, i := range todo {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	return ctx.Err()
}

// analyzeDocument parses one document and evaluates the rules on each of its objects, or takes
// the verdicts known has for objects that project as they do.
func (e *Engine) analyzeDocument(ctx context.Context, d *yamldoc.Document, known verdicts) *DocResult {
	d.Parse()
	res := &DocResult{Doc: d}
	if d.Err != nil {
		res.Findings = []Finding{{Rule: RuleYAMLSyntax, Severity: e.Severity(RuleYAMLSyntax), Message: d.Err.Msg, Range: d.Err.Range}}
		return res
	}
	if d.Root == nil {
		return res
	}
	res.Objects = d.Objects()
	for _, obj := range res.Objects {
		rules, custom := e.rulesFor(obj.Ref.Kind), e.customInspects(obj.Ref.Kind)
		var value, whole ast.Value
		var err error
		switch {
		case rules != nil || custom:
			value, whole, err = objectValues(d, obj, rules, custom)
		case d.Aliases:
			err = checkExpansion(obj.Node)
		}
		if err != nil {
			res.Findings = append(res.Findings, Finding{
				Rule: RuleYAMLSyntax, Severity: e.Severity(RuleYAMLSyntax), Object: obj.Ref, Item: obj.Path,
				Message: fmt.Sprintf("%s %s: %v: not checked", obj.Ref.Kind, obj.Ref.Name, err), Range: d.NodeStartRange(obj.Node),
			})
			continue
		}
		if value == nil {
			continue
		}
		var fs []Finding
		found := func(rule Rule, vs []violation) {
			for _, v := range vs {
				fs = append(fs, Finding{
					Rule: rule.ID, Severity: e.severity[rule.ID], Message: v.Message,
					Range: d.PathRange(obj, v.Path), Object: obj.Ref, Path: v.Path, Item: obj.Path, Fix: v.Fix,
				})
			}
		}
		if rules != nil {
			perRule, err := e.evalBuiltin(ctx, rules, value, known, res)
			if err != nil {
				res.Err = fmt.Errorf("evaluating %s: %w", obj.Ref, err)
				continue
			}
			n := 0
			for _, vs := range perRule {
				n += len(vs)
			}
			fs = slices.Grow(fs, n)
			for i, vs := range perRule {
				found(e.enabled[rules.rules[i]], vs)
			}
		}
		if custom {
			perRule, perrs, err := e.evalCustom(ctx, whole, obj.Ref)
			if err != nil {
				res.Err = err
				return res
			}
			res.PolicyErrors = append(res.PolicyErrors, perrs...)
			for i, vs := range perRule {
				found(e.custom[i].rule, vs)
			}
		}
		if kept := e.dedupe(fs); len(res.Findings) == 0 && len(kept) > 0 {
			res.Findings = kept // fs is not used again: no need to copy
		} else {
			res.Findings = append(res.Findings, kept...)
		}
	}
	res.Findings, res.Suppressed = e.applySuppressions(d, res.Objects, res.Findings)
	sortFindings(res.Findings)
	return res
}

// refuse checks the limits that make a file unfit to parse at all.
func (e *Engine) refuse(in Input, m *yamldoc.Mapper) (Finding, bool) {
	if len(in.Text) > MaxFileSize {
		return e.limitFinding(m, fmt.Sprintf("file is %.1f MiB, over the limit of %d MiB: not checked", float64(len(in.Text))/(1<<20), MaxFileSize>>20)), true
	}
	if strings.IndexByte(in.Text, 0) >= 0 {
		return e.limitFinding(m, "file contains NUL bytes: binary content, not checked"), true
	}
	for line := range m.LineCount() {
		if m.LineEnd(line)-m.LineStart(line) > MaxLineBytes {
			f := e.limitFinding(m, fmt.Sprintf("line %d is longer than %d MiB: not checked", line+1, MaxLineBytes>>20))
			return f, true
		}
	}
	return Finding{}, false
}

// limitFinding reports a refused file on its first line.
func (e *Engine) limitFinding(m *yamldoc.Mapper, msg string) Finding {
	end := min(m.LineEnd(0), 200)
	return Finding{Rule: RuleYAMLSyntax, Severity: e.Severity(RuleYAMLSyntax), Message: msg, Range: yamldoc.Range{Start: 0, End: end}}
}

// goTemplateAction matches the start of a Go template action as Helm charts write them:
// "{{ .Values", "{{- include", "{{ $x", "{{/* ... */}}". A bare "{{name}}" (mustache) is not one.
var goTemplateAction = regexp.MustCompile(`\{\{-?\s*(\.|\$|/\*|(include|template|if|else|end|range|with|define|block|toYaml|tpl|printf|quote|default|required|fail|nindent|indent|lookup)\b)`)

// isHelmTemplate recognises an unrendered template by content: it has Go template actions and
// they break the YAML. (A manifest that merely quotes "{{ }}", such as an alerting rule, parses.)
func isHelmTemplate(text string, docs []*DocResult) bool {
	if !goTemplateAction.MatchString(text) {
		return false
	}
	for _, d := range docs {
		if d.Doc.Err != nil {
			return true
		}
	}
	return false
}

// helmNotice is the one information finding for a skipped template, at its first action.
func (e *Engine) helmNotice(text string, m *yamldoc.Mapper) Finding {
	start := 0
	if loc := goTemplateAction.FindStringIndex(text); loc != nil {
		start = loc[0]
	}
	end := m.LineEnd(m.LineOf(start))
	return Finding{
		Rule: RuleHelmTemplate, Severity: e.Severity(RuleHelmTemplate), Range: yamldoc.Range{Start: start, End: end},
		Message: "Helm template: not checked until rendered (run `helm template` and check its output)",
	}
}
