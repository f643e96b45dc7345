package analysis

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/kube-policy-ls/kube-policy-ls/analysis/reads"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"

	"github.com/open-policy-agent/opa/v1/ast"
	"go.yaml.in/yaml/v3"
)

// MaxExpandedNodes bounds the size of one object's value once aliases are expanded: a small
// "billion laughs" document must be refused, not evaluated.
const MaxExpandedNodes = 1_000_000

// errAliasBomb reports an object whose aliases expand past MaxExpandedNodes.
var errAliasBomb = fmt.Errorf("aliases expand to more than %d values (an alias bomb?)", MaxExpandedNodes)

// converter turns yaml.v3 nodes straight into OPA values: no detour through Go maps or JSON.
type converter struct {
	set      *reads.Set                 // project onto what these paths read; nil: convert everything
	expanded int                        // values produced so far, counting every alias expansion
	memo     map[*yaml.Node]convertMemo // anchored nodes already converted
	active   map[*yaml.Node]bool        // anchors being converted: an alias back to one is a cycle
}

type convertMemo struct {
	value ast.Value
	size  int
}

// checkExpansion bounds how far n's aliases expand, without building any value: objects that
// no rule inspects are never converted, but an alias bomb is still reported.
func checkExpansion(n *yaml.Node) error {
	sizes := map[*yaml.Node]int{}
	var size func(n *yaml.Node, depth int) (int, error)
	size = func(n *yaml.Node, depth int) (int, error) {
		if depth > yamldoc.MaxDepth {
			return 0, fmt.Errorf("value nested deeper than %d levels", yamldoc.MaxDepth)
		}
		if n.Kind == yaml.AliasNode {
			if n.Alias == nil {
				return 1, nil
			}
			if s, ok := sizes[n.Alias]; ok {
				if s < 0 {
					return 0, errors.New("alias refers to a value that contains it")
				}
				return s, nil
			}
			sizes[n.Alias] = -1
			s, err := size(n.Alias, depth+1)
			sizes[n.Alias] = s
			return s, err
		}
		total := 1
		for _, c := range n.Content {
			s, err := size(c, depth+1)
			if err != nil {
				return 0, err
			}
			if total += s; total > MaxExpandedNodes {
				return 0, errAliasBomb
			}
		}
		return total, nil
	}
	_, err := size(n, 0)
	return err
}

// toValue converts n, an object's root, into an OPA value.
func toValue(n *yaml.Node) (ast.Value, error) {
	c := converter{}
	v, _, err := c.value(n, 0, reads.State{})
	return v, err
}

// toProjection converts the projection of n, an object's root, onto what a set of rules reads
// (package reads): the parts no rule reads are neither converted nor handed to the rules.
func toProjection(n *yaml.Node, set *reads.Set) (ast.Value, error) {
	c := converter{set: set}
	v, _, err := c.value(n, 0, set.Start())
	if v == nil && err == nil {
		v = ast.NewObject()
	}
	return v, err
}

// value converts n at st; with a projection set, a nil value is a part left out.
func (c *converter) value(n *yaml.Node, depth int, st reads.State) (ast.Value, int, error) {
	if depth > yamldoc.MaxDepth {
		return nil, 0, fmt.Errorf("value nested deeper than %d levels", yamldoc.MaxDepth)
	}
	if c.set != nil && st.Full() {
		whole := converter{memo: c.memo, active: c.active, expanded: c.expanded}
		v, size, err := whole.value(n, depth, reads.State{})
		c.memo, c.active, c.expanded = whole.memo, whole.active, whole.expanded
		return v, size, err
	}
	if n.Kind == yaml.AliasNode {
		return c.alias(n, depth, st)
	}
	if c.set != nil && n.Kind == yaml.ScalarNode && !st.Anchored() {
		return nil, 0, nil
	}
	c.expanded++
	if c.expanded > MaxExpandedNodes {
		return nil, 0, errAliasBomb
	}
	switch n.Kind {
	case yaml.ScalarNode:
		return scalarValue(n), 1, nil
	case yaml.SequenceNode:
		terms := make([]*ast.Term, 0, len(n.Content))
		size := 1
		for i, item := range n.Content {
			var ist reads.State
			if c.set != nil {
				ist = c.set.Step(st, strconv.Itoa(i), true)
				if !ist.Live() {
					terms = append(terms, ast.NullTerm())
					continue
				}
			}
			v, s, err := c.value(item, depth+1, ist)
			if err != nil {
				return nil, 0, err
			}
			if v == nil {
				v = ast.Null{}
			}
			terms = append(terms, ast.NewTerm(v))
			size += s
		}
		return ast.NewArray(terms...), size, nil
	case yaml.MappingNode:
		return c.mapping(n, depth, st)
	case yaml.DocumentNode:
		if len(n.Content) == 1 {
			return c.value(n.Content[0], depth, st)
		}
	}
	return ast.Null{}, 1, nil
}

// alias converts an alias once per anchor and charges its full size on every use. A projection
// depends on where the alias is, so it is not remembered.
func (c *converter) alias(n *yaml.Node, depth int, st reads.State) (ast.Value, int, error) {
	target := n.Alias
	if target == nil {
		if c.set != nil && !st.Anchored() {
			return nil, 0, nil
		}
		return ast.Null{}, 1, nil
	}
	if m, ok := c.memo[target]; ok && c.set == nil {
		c.expanded += m.size
		if c.expanded > MaxExpandedNodes {
			return nil, 0, errAliasBomb
		}
		return m.value, m.size, nil
	}
	if c.active[target] {
		return nil, 0, errors.New("alias refers to a value that contains it")
	}
	if c.active == nil {
		c.active = map[*yaml.Node]bool{}
		c.memo = map[*yaml.Node]convertMemo{}
	}
	c.active[target] = true
	v, size, err := c.value(target, depth, st)
	delete(c.active, target)
	if err != nil {
		return nil, 0, err
	}
	if c.set == nil {
		c.memo[target] = convertMemo{v, size}
	}
	return v, size, nil
}

// mapping converts a mapping; "<<" merge keys contribute the keys the mapping does not set.
// Merged mappings sit at the mapping's own level of a projection.
func (c *converter) mapping(n *yaml.Node, depth int, st reads.State) (ast.Value, int, error) {
	obj := ast.NewObject()
	size := 1
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := k
		for key.Kind == yaml.AliasNode && key.Alias != nil {
			key = key.Alias
		}
		if key.Kind == yaml.ScalarNode && key.Value == "<<" && key.Tag == "!!merge" {
			merges = append(merges, v)
			continue
		}
		var kst reads.State
		if c.set != nil {
			if kst = c.set.Step(st, key.Value, false); !kst.Live() {
				continue
			}
		}
		val, s, err := c.value(v, depth+1, kst)
		if err != nil {
			return nil, 0, err
		}
		if val == nil {
			continue
		}
		obj.Insert(ast.StringTerm(key.Value), ast.NewTerm(val))
		size += s
	}
	for _, m := range merges {
		sources := []*yaml.Node{m}
		if resolved := yamldoc.Deref(m); resolved.Kind == yaml.SequenceNode {
			sources = resolved.Content
		}
		for _, src := range sources {
			val, s, err := c.value(src, depth+1, st)
			if err != nil {
				return nil, 0, err
			}
			if merged, ok := val.(ast.Object); ok {
				size += s
				merged.Foreach(func(k, v *ast.Term) {
					if obj.Get(k) == nil {
						obj.Insert(k, v)
					}
				})
			}
		}
	}
	return obj, size, nil
}

// scalarValue types a scalar the way Kubernetes reads it. The API server decodes YAML 1.1
// (sigs.k8s.io/yaml), so unquoted yes/no/on/off are booleans there, while yaml.v3 (YAML 1.2)
// calls them strings: follow Kubernetes, or `privileged: yes` would slip through.
func scalarValue(n *yaml.Node) ast.Value {
	v := n.Value
	switch n.ShortTag() {
	case "!!null":
		return ast.Null{}
	case "!!bool":
		return ast.Boolean(strings.EqualFold(v, "true"))
	case "!!int":
		if i, err := strconv.ParseInt(strings.ReplaceAll(v, "_", ""), 0, 64); err == nil {
			return ast.Number(strconv.FormatInt(i, 10))
		}
		if u, err := strconv.ParseUint(strings.ReplaceAll(v, "_", ""), 0, 64); err == nil {
			return ast.Number(strconv.FormatUint(u, 10))
		}
	case "!!float":
		if f, err := strconv.ParseFloat(strings.ReplaceAll(v, "_", ""), 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return ast.Number(strconv.FormatFloat(f, 'g', -1, 64))
		}
	case "!!str":
		if n.Style == 0 {
			switch v {
			case "yes", "Yes", "YES", "on", "On", "ON":
				return ast.Boolean(true)
			case "no", "No", "NO", "off", "Off", "OFF":
				return ast.Boolean(false)
			}
		}
	}
	return ast.String(v)
}
