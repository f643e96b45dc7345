package helm

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"helm.sh/helm/v4/pkg/chart/common"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/strvals"

	"go.yaml.in/yaml/v3"
)

// valuesFile is one YAML file of values, parsed for positions.
type valuesFile struct {
	path   string // absolute
	prefix string // values path of its chart from the root's ("" or "sub.")
	root   *yaml.Node
	chart  bool // a chart's values.yaml (the root's or a subchart's), not a user's file
}

// valueSources are where a render's values came from, highest precedence first, and the
// values the templates saw.
type valueSources struct {
	set    map[string]any // the --set pairs alone
	files  []valuesFile   // values files (last given first), then the charts' values.yaml
	merged common.Values  // the root chart's coalesced values
	// chartValues is the root chart's values.yaml, "" when it has none.
	chartValues string
	misread     []misreadKey // keys of the values files Helm reads under another name
}

// readValues reads the user's values (values files, then --set pairs) into a fresh map, and
// the positions of every values file, the charts' values.yaml included.
func readValues(l *loaded, opts Options) (*valueSources, map[string]any, error) {
	read := opts.read()
	vs := &valueSources{set: map[string]any{}}
	user := map[string]any{}
	for _, f := range opts.ValuesFiles {
		text, err := read(f)
		if err != nil {
			return nil, nil, &Error{File: f, Msg: "reading values file", Err: err}
		}
		vals, err := loader.LoadValues(bytes.NewReader(text))
		if err != nil {
			return nil, nil, &Error{File: f, Line: yamlErrorLine(err.Error()), Msg: "values file is not valid YAML", Err: err}
		}
		root := parseNode(text)
		vs.misread = append(vs.misread, misreadKeys(f, root, vals)...)
		user = loader.MergeMaps(user, vals)
		vs.files = append([]valuesFile{{path: f, root: root}}, vs.files...)
	}
	for _, s := range opts.Set {
		if err := strvals.ParseInto(s, user); err != nil {
			return nil, nil, fmt.Errorf("reading --set %s: %w", s, err)
		}
		if err := strvals.ParseInto(s, vs.set); err != nil {
			return nil, nil, fmt.Errorf("reading --set %s: %w", s, err)
		}
	}
	var chartFiles func(c *chart.Chart, prefix string)
	chartFiles = func(c *chart.Chart, prefix string) {
		for _, f := range c.Raw {
			if f.Name == "values.yaml" {
				root := parseNode(f.Data)
				if parsed, ok := cachedValues(f.Data); ok && !strings.HasSuffix(l.paths[f], ".tgz") {
					vs.misread = append(vs.misread, misreadKeys(l.paths[f], root, parsed)...)
				}
				vs.files = append(vs.files, valuesFile{path: l.paths[f], prefix: prefix, root: root, chart: true})
			}
		}
		for _, d := range c.Dependencies() {
			chartFiles(d, prefix+d.Name()+".")
		}
	}
	chartFiles(l.chart, "")
	vs.chartValues = valuesFileOf(vs, l.dirOf(l.chart))
	return vs, user, nil
}

func parseNode(text []byte) *yaml.Node {
	var n yaml.Node
	if err := yaml.Unmarshal(text, &n); err != nil || len(n.Content) == 0 {
		return nil
	}
	return n.Content[0]
}

// splitPath splits a values path (a.b[0].c) into keys and indexes.
func splitPath(p string) []any {
	var out []any
	for _, part := range strings.Split(p, ".") {
		for part != "" {
			i := strings.IndexByte(part, '[')
			if i < 0 {
				out = append(out, part)
				break
			}
			if i > 0 {
				out = append(out, part[:i])
			}
			j := strings.IndexByte(part[i:], ']')
			if j < 0 {
				out = append(out, part[i:])
				break
			}
			n, err := strconv.Atoi(part[i+1 : i+j])
			if err != nil {
				out = append(out, part[i:i+j+1])
			} else {
				out = append(out, n)
			}
			part = part[i+j+1:]
		}
	}
	return out
}

// joinPath writes a path back as a values path.
func joinPath(p []any) string {
	var sb strings.Builder
	for _, e := range p {
		switch e := e.(type) {
		case int:
			fmt.Fprintf(&sb, "[%d]", e)
		default:
			if sb.Len() > 0 {
				sb.WriteByte('.')
			}
			fmt.Fprint(&sb, e)
		}
	}
	return sb.String()
}

// lookup returns the value at path in v.
func lookup(v any, path []any) (any, bool) {
	for _, e := range path {
		switch e := e.(type) {
		case string:
			m, ok := asMap(v)
			if !ok {
				return nil, false
			}
			if v, ok = m[e]; !ok {
				return nil, false
			}
		case int:
			l, ok := v.([]any)
			if !ok || e < 0 || e >= len(l) {
				return nil, false
			}
			v = l[e]
		}
	}
	return v, true
}

func asMap(v any) (map[string]any, bool) {
	switch m := v.(type) {
	case map[string]any:
		return m, true
	case common.Values:
		return m, true
	}
	return nil, false
}

// nodeAt returns the YAML node of path in a values file: the key's node for a mapping entry.
func nodeAt(n *yaml.Node, path []any) (*yaml.Node, bool) {
	key := n
	for _, e := range path {
		if n == nil {
			return nil, false
		}
		switch e := e.(type) {
		case string:
			if n.Kind != yaml.MappingNode {
				return nil, false
			}
			found := false
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == e {
					key, n, found = n.Content[i], n.Content[i+1], true
				}
			}
			if !found {
				return nil, false
			}
		case int:
			if n.Kind != yaml.SequenceNode || e < 0 || e >= len(n.Content) {
				return nil, false
			}
			n = n.Content[e]
			key = n
		}
	}
	return key, true
}

// ValuesRef is a values key that supplied a rendered value or guards a block.
type ValuesRef struct {
	Path   string // from the root chart's values: a.b.c
	File   string // the values file that sets it; "" when a --set pair does
	Line   int    // 1-based; 0 with File ""
	Column int

	// base is the values path the template read (Path or a map above it), and anchor the
	// object path it was rendered at: an object path under anchor is base's same path.
	base, anchor []any
}

// anchored is locate(q) with the template's values path base rendered at object path anchor.
func (vs *valueSources) anchored(q, base, anchor []any) *ValuesRef {
	ref := vs.locate(q)
	if ref != nil {
		ref.base, ref.anchor = base, append([]any(nil), anchor...)
	}
	return ref
}

// locateFile finds the values file that sets path p (from the root's values) and p's path in
// it; ok is false when only --set (or no source) sets it.
func (vs *valueSources) locateFile(p []any) (file string, rel []any, ok bool) {
	if _, set := lookup(vs.set, p); set {
		return "", nil, false
	}
	for _, f := range vs.files {
		r, within := trimPrefix(p, splitPath(strings.TrimSuffix(f.prefix, ".")))
		if !within || f.root == nil {
			continue
		}
		if _, found := nodeAt(f.root, r); found {
			return f.path, r, true
		}
	}
	return "", nil, false
}

// locate finds which source sets the values path p (from the root's values): --set, a
// values file, or a chart's values.yaml; nil when none has it (a default in a template).
func (vs *valueSources) locate(p []any) *ValuesRef {
	if _, ok := lookup(vs.set, p); ok {
		return &ValuesRef{Path: joinPath(p)}
	}
	for _, f := range vs.files {
		rel, ok := trimPrefix(p, splitPath(strings.TrimSuffix(f.prefix, ".")))
		if !ok || f.root == nil {
			continue
		}
		if n, found := nodeAt(f.root, rel); found {
			return &ValuesRef{Path: joinPath(p), File: f.path, Line: n.Line, Column: n.Column}
		}
	}
	// A subchart's global.x comes from the root's global.x.
	for i, e := range p {
		if e == "global" && i > 0 {
			return vs.locate(p[i:])
		}
	}
	return nil
}

func trimPrefix(p, prefix []any) ([]any, bool) {
	if len(prefix) > len(p) {
		return nil, false
	}
	for i := range prefix {
		if p[i] != prefix[i] {
			return nil, false
		}
	}
	return p[len(prefix):], true
}

// dependencyEntry returns the position of a dependency's entry (its name or alias key) in
// Chart.yaml.
func dependencyEntry(read ReadFunc, file, name string) (line, col int) {
	text, err := read(file)
	if err != nil {
		return 0, 0
	}
	root := parseNode(text)
	if root == nil || root.Kind != yaml.MappingNode {
		return 0, 0
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != "dependencies" {
			continue
		}
		for _, item := range root.Content[i+1].Content {
			for j := 0; j+1 < len(item.Content); j += 2 {
				if k, v := item.Content[j], item.Content[j+1]; (k.Value == "name" || k.Value == "alias") && v.Value == name {
					return k.Line, k.Column
				}
			}
		}
	}
	return 0, 0
}
