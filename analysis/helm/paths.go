package helm

import (
	"fmt"
	"strconv"
	"strings"
	"text/template/parse"
)

// valuesPaths returns the values paths a pipeline reads (.Values.a.b, $.Values.a.b,
// $ctx.Values.a.b, index .Values "a" "b", and fields of the dot inside a with on a values
// path), each once, in order. dot is the values path the dot stands for, "" for none.
func (in *instrumenter) valuesPaths(p *parse.PipeNode, dot string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(path string) {
		if path != "" && !seen[path] {
			seen[path] = true
			out = append(out, path)
		}
	}
	var walk func(n parse.Node)
	walk = func(n parse.Node) {
		switch n := n.(type) {
		case *parse.PipeNode:
			if n == nil {
				return
			}
			for _, c := range n.Cmds {
				walk(c)
			}
		case *parse.CommandNode:
			if identOf(n) == "index" && len(n.Args) >= 3 {
				if base, ok := in.nodePath(n.Args[1], dot); ok {
					keys := []string{}
					for _, a := range n.Args[2:] {
						s, isStr := a.(*parse.StringNode)
						if !isStr {
							keys = nil
							break
						}
						keys = append(keys, s.Text)
					}
					if keys != nil {
						add(strings.Trim(base+"."+strings.Join(keys, "."), "."))
					}
				}
			}
			for _, a := range n.Args {
				walk(a)
			}
		case *parse.ChainNode:
			walk(n.Node)
		default:
			if path, ok := in.nodePath(n, dot); ok {
				add(path)
			}
		}
	}
	walk(p)
	return out
}

// nodePath returns the values path a field, variable or dot stands for; ok is false when it
// is not one ("" with ok true is the root of the values).
func (in *instrumenter) nodePath(n parse.Node, dot string) (string, bool) {
	var idents []string
	switch n := n.(type) {
	case *parse.FieldNode:
		idents = n.Ident
		if len(idents) == 0 || idents[0] != "Values" {
			if dot == "" {
				return "", false
			}
			return strings.Trim(dot+"."+strings.Join(idents, "."), "."), true
		}
	case *parse.VariableNode:
		if base, bound := in.vars[n.Ident[0]]; bound {
			return strings.Trim(base+"."+strings.Join(n.Ident[1:], "."), "."), true
		}
		idents = n.Ident[1:]
		for i := len(n.Ident) - 1; i >= 1; i-- {
			if n.Ident[i] == "Values" {
				idents = n.Ident[i:]
				break
			}
		}
		if len(idents) == 0 || idents[0] != "Values" {
			return "", false
		}
	case *parse.DotNode:
		return dot, dot != ""
	default:
		return "", false
	}
	// .context.Values.x and .Values.x alike.
	for i, id := range idents {
		if id == "Values" {
			return strings.Join(idents[i+1:], "."), true
		}
	}
	return "", false
}

func identOf(c *parse.CommandNode) string {
	if len(c.Args) == 0 {
		return ""
	}
	if id, ok := c.Args[0].(*parse.IdentifierNode); ok {
		return id.Ident
	}
	return ""
}

// isSingleField reports whether a pipeline is one field or variable (with .Values.x).
func isSingleField(p *parse.PipeNode) bool {
	if p == nil || len(p.Cmds) != 1 || len(p.Cmds[0].Args) != 1 {
		return false
	}
	switch p.Cmds[0].Args[0].(type) {
	case *parse.FieldNode, *parse.VariableNode:
		return true
	}
	return false
}

func isScalar(v any) bool {
	switch v.(type) {
	case string, bool, float64, float32, int, int64, int32, uint64, nil:
		return v != nil
	}
	return false
}

// scalarText is a values scalar as a template prints it.
func scalarText(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}
