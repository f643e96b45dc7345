package helm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"

	"go.yaml.in/yaml/v3"
)

// TestValuesAreCausal checks every values key a finding names, causally: change the key,
// render again, and the flagged field (or, for a missing field, its owner) changes.
func TestValuesAreCausal(t *testing.T) {
	e := defaultEngine(t)
	eachSharedVariant(t, func(t *testing.T, v sharedVariant) {
		c, res := checkChart(t, e, v.dir, v.opts)
		checked := 0
		renders := map[string]*Chart{} // by --set pair: findings share values keys
		for _, f := range res.Findings {
			if f.Values == nil {
				continue
			}
			checked++
			before := fieldText(t, f.Manifest.Text, f)
			set := causalSet(c, f)
			changed := v.opts
			changed.Set = append(append([]string{}, v.opts.Set...), set)
			c2 := renders[set]
			if c2 == nil {
				var err error
				if c2, err = Render(context.Background(), v.dir, changed); err != nil {
					t.Errorf("%s %s: re-render with --set %s: %v", f.Rule, joinPath(f.Path), set, err)
					continue
				}
				renders[set] = c2
			}
			after := ""
			for _, m := range c2.Manifests {
				if m.Name == f.Manifest.Name {
					after = fieldText(t, m.Text, f)
				}
			}
			if after == before {
				t.Errorf("%s %s: --set %s left the flagged field as it was: %q", f.Rule, joinPath(f.Path), set, before)
			}
		}
		if checked == 0 {
			t.Error("no finding named a values key")
		}
	})
}

// causalSet is a --set pair that changes the values key a finding names: a scalar to another
// value, a map (a guard's or an owner's) to one with one more key, a false guard to true.
func causalSet(c *Chart, f Finding) string {
	p := splitPath(f.Values.Path)
	v, _ := lookup(map[string]any(c.values.merged), p)
	switch v := v.(type) {
	case bool:
		return fmt.Sprintf("%s=%v", f.Values.Path, !v)
	case float64, int, int64:
		return f.Values.Path + "=4242"
	case string:
		return f.Values.Path + "=kpls-causal"
	case map[string]any:
		return f.Values.Path + ".kplsCausal=1"
	}
	return f.Values.Path + "=true"
}

// fieldText is the rendered text of a finding's field in its object, or of its owner when the
// field is missing, and "" when the object is gone.
func fieldText(t *testing.T, manifest string, f Finding) string {
	t.Helper()
	dec := yaml.NewDecoder(strings.NewReader(manifest))
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Errorf("parsing %s: %v", f.Manifest.Name, err)
			}
			return ""
		}
		if len(doc.Content) == 0 {
			continue
		}
		root := doc.Content[0]
		kind, name := yamldoc.MappingValue(root, "kind"), yamldoc.MappingValue(yamldoc.MappingValue(root, "metadata"), "name")
		if kind == nil || name == nil || kind.Value != f.Object.Kind || name.Value != f.Object.Name {
			continue
		}
		full := append(append([]any{}, f.Item...), f.Path...)
		steps := yamldoc.Walk(root, full)
		n := root
		if len(steps) > 0 {
			n = steps[len(steps)-1].Node
		}
		out, err := yaml.Marshal(n)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%d:%s", len(steps), out)
	}
}
