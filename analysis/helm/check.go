package helm

import (
	"context"
	"fmt"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"

	"go.yaml.in/yaml/v3"
)

// Finding is a finding of the engine on a rendered manifest, placed on the chart.
type Finding struct {
	analysis.Finding           // Range is in Manifest.Text
	Manifest         *Manifest // the rendered template
	RenderedLine     int       // 1-based line of the finding in Manifest.Text
	At               Origin    // the template line that wrote the field, or its owner
	// Values is the values key that supplied the offending value, or whose guard decided
	// that the block writing a missing field was left out; nil when values played no part.
	Values *ValuesRef
	// Guard says that Values guards a block (if, with) rather than supplying the value.
	Guard bool
	// result is the analysis of the manifest: its parsed documents spare a template fix
	// parsing the manifest again.
	result *analysis.Result
}

// Checked is the analysis of a rendered chart.
type Checked struct {
	Findings   []Finding
	Suppressed []Finding // silenced by a suppression (annotations and comments survive rendering)
	Objects    int
	Results    []*analysis.Result // per manifest, in the order of Chart.Manifests
	byName     map[string]*analysis.Result
}

// Check analyses every manifest of the chart with the engine and places each finding on the
// template line and values key behind it.
func (c *Chart) Check(ctx context.Context, e *analysis.Engine) (*Checked, error) {
	return c.CheckAgain(ctx, e, nil)
}

// CheckAgain is Check after an earlier render of the chart was checked (prev, nil for none):
// the YAML documents of each manifest that did not change since are taken over, not
// evaluated again. A keystroke changes a few manifests of a chart; checking them all was up
// to a third of a keystroke's CPU.
func (c *Chart) CheckAgain(ctx context.Context, e *analysis.Engine, prev *Checked) (*Checked, error) {
	out := &Checked{byName: make(map[string]*analysis.Result, len(c.Manifests))}
	for _, m := range c.Manifests {
		var before *analysis.Result
		if prev != nil {
			before = prev.byName[m.Name]
		}
		res, err := e.Reanalyze(ctx, analysis.Input{Path: m.Template, Text: m.Text}, nil, before)
		if err != nil {
			return nil, fmt.Errorf("analysing %s as rendered: %w", m.Name, err)
		}
		out.byName[m.Name] = res
		out.Results = append(out.Results, res)
		out.Objects += res.Objects
		for _, f := range res.Findings {
			out.Findings = append(out.Findings, c.place(m, res, f))
		}
		for _, f := range res.Suppressed {
			out.Suppressed = append(out.Suppressed, c.place(m, res, f))
		}
	}
	return out, nil
}

// place maps one finding of a rendered manifest back to the chart.
func (c *Chart) place(m *Manifest, res *analysis.Result, f analysis.Finding) Finding {
	pf := Finding{Finding: f, Manifest: m, RenderedLine: res.Mapper.LineOf(f.Range.Start) + 1, result: res}
	pf.At, _ = c.Origin(m, f.Range.Start)
	if f.Doc < 0 || f.Doc >= len(res.Docs) || res.Docs[f.Doc].Doc == nil || res.Docs[f.Doc].Doc.Root == nil {
		return pf
	}
	d := res.Docs[f.Doc].Doc
	full := append(append([]any{}, f.Item...), f.Path...)
	steps := yamldoc.Walk(d.Root, full)
	if len(steps) == len(full) && len(full) > 0 {
		n := yamldoc.Deref(steps[len(steps)-1].Node)
		switch n.Kind {
		case yaml.ScalarNode:
			pf.Values = c.ValueSource(m, d.Offset+d.NodeOffset(n), f.Path, n.Value)
		case yaml.MappingNode:
			pf.Values = c.MapSource(m, d.Offset+d.NodeOffset(n), f.Path, keysOf(n), "")
		}
		return pf
	}
	// A missing field: the guard that left out the block that would write it, else the
	// values map its owner was rendered from.
	missing, _ := full[len(steps)].(string)
	owner := d.Root
	if len(steps) > 0 {
		owner = yamldoc.Deref(steps[len(steps)-1].Node)
	}
	start, end := d.Offset+d.NodeOffset(owner), d.Offset+d.NodeEnd(owner)
	if missing != "" {
		if ref := c.GuardSource(m, start, end, missing); ref != nil {
			pf.Values, pf.Guard = ref, true
			return pf
		}
	}
	if owner != nil && owner.Kind == yaml.MappingNode && len(steps) > len(f.Item) {
		pf.Values = c.MapSource(m, start, full[len(f.Item):len(steps)], keysOf(owner), missing)
	}
	return pf
}

func keysOf(n *yaml.Node) []string {
	var keys []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		keys = append(keys, n.Content[i].Value)
	}
	return keys
}
