package helm

import (
	"bytes"
	"fmt"
	"maps"
	"slices"

	"go.yaml.in/yaml/v3"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
)

// misreadKey is a key of a values file that Helm reads under another name. Helm parses
// values as YAML 1.1 (sigs.k8s.io/yaml over yaml.v2): an unquoted key `n`, `y`, `on`, `off`,
// `yes` or `no` is a boolean and becomes "false" or "true", `1.0` becomes "1", so that
// .Values.n is empty and the templates that read it render nothing, silently. Editors and
// yaml.v3 read YAML 1.2, where these keys are strings.
type misreadKey struct {
	file      string
	line, col int
	key, read string // as written, as Helm reads it
}

// misreadKeys compares a values file's keys as written (root, parsed by yaml.v3) with the
// map Helm parsed from the same text (parsed): a plain key that Helm's map lacks at its
// place was read under another name, which is then asked of Helm's parser. Keys Helm's map
// does have are never reported, so a report is never wrong; a misread key whose new name
// collides with another key of its mapping is missed.
func misreadKeys(file string, root *yaml.Node, parsed map[string]any) []misreadKey {
	var out []misreadKey
	var walk func(n *yaml.Node, v any)
	walk = func(n *yaml.Node, v any) {
		for n != nil && n.Kind == yaml.AliasNode {
			n = n.Alias
		}
		if n == nil {
			return
		}
		switch n.Kind {
		case yaml.MappingNode:
			m, ok := v.(map[string]any)
			if !ok {
				return
			}
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i]
				if k.Kind != yaml.ScalarNode || k.Tag == "!!merge" {
					continue
				}
				if e, ok := m[k.Value]; ok {
					walk(n.Content[i+1], e)
					continue
				}
				if k.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
					continue
				}
				if read, ok := helmKeyName(k.Value); ok && read != k.Value {
					out = append(out, misreadKey{file: file, line: k.Line, col: k.Column, key: k.Value, read: read})
				}
			}
		case yaml.SequenceNode:
			s, ok := v.([]any)
			if !ok {
				return
			}
			for i, e := range n.Content {
				if i < len(s) {
					walk(e, s[i])
				}
			}
		}
	}
	walk(root, parsed)
	return out
}

// helmKeyName returns the name Helm's values parser gives a plain key.
func helmKeyName(key string) (string, bool) {
	v, err := loader.LoadValues(bytes.NewReader([]byte(key + ": 0\n")))
	if err != nil || len(v) != 1 {
		return "", false
	}
	return slices.Collect(maps.Keys(v))[0], true
}

func (k misreadKey) message() string {
	return fmt.Sprintf("Helm reads the values key %q as %q (YAML 1.1): a template that reads %q gets nothing; quote the key to keep its name", k.key, k.read, k.key)
}
