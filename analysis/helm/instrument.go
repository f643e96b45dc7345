package helm

import (
	"crypto/sha256"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/template/parse"
)

// Instrumentation rewrites a copy of each template so that the output says, byte by byte,
// which template node wrote it. Invisible markers go into the output stream:
//
//	\x00T<id>\x01  the following bytes are text node id's, in order
//	\x00A<id>\x01  the following bytes were printed by action id
//	\x00(<id>\x01  call site id (include, template) enters; \x00)\x01 returns from it
//	\x00G<id>\x01  guarded block id (if, with, range) was entered; \x00g<id>\x01 left
//	\x00F<id>\x01  guard id was false and its block wrote nothing here
//	\x00.\x01      nothing: keeps text that ends in "{" apart from the next action's "{{"
//
// Included text keeps its markers only where it flows straight into the output (alone or
// through indent and nindent); anywhere else (an argument, a condition, a variable) the
// include's result is stripped first, so every function sees exactly the text of a plain
// render. The rewritten tree is printed back to template text for Helm's engine.
const (
	markStart = '\x00'
	markEnd   = '\x01'
)

// Template function names the rewrite calls; they cannot clash with a chart's functions.
const (
	fnStrip = "__kplStrip" // strips markers from its (last) argument
	fnCall  = "__kplCall"  // enters a call site: prints its marker, bounds the depth
	fnRet   = "__kplRet"   // leaves it
	fnTick  = "__kplTick"  // each loop iteration and template call: deadline and size
)

type nodeKind uint8

const (
	kindText nodeKind = iota
	kindAction
	kindCall
	kindGuard
)

// tnode is one instrumented template node.
type tnode struct {
	file   string // absolute path of the template file
	pos    int    // byte offset in it
	kind   nodeKind
	values []string // values paths the node's pipeline reads (actions, calls, guards)
	// body is the static text a guard's block holds (nested blocks too): what the block
	// would write had the guard gone the other way.
	body    string
	negated bool // an else branch: the block runs when the guard's values are empty
	loop    bool // a range: its block's text may be written any number of times
}

// nodeTable holds the nodes of the instrumented templates of one render.
type nodeTable struct {
	files []*instrumented // sorted by base once the chart is loaded
}

// instrumented is one template file's instrumented text and nodes, which have the ids
// base, base+1, ...: ids are unique in the process, so that files instrumented for
// different renders can meet in one.
type instrumented struct {
	base  int
	nodes []tnode
	text  []byte
}

// idBlock is how many node ids each instrumented file may use.
const idBlock = 1 << 24

// node returns the node with id, nil when the render has none.
func (t *nodeTable) node(id int) *tnode {
	i := sort.Search(len(t.files), func(i int) bool { return t.files[i].base > id }) - 1
	if i < 0 || id < 0 || id-t.files[i].base >= len(t.files[i].nodes) {
		return nil
	}
	return &t.files[i].nodes[id-t.files[i].base]
}

func (t *nodeTable) sort() {
	slices.SortFunc(t.files, func(a, b *instrumented) int { return a.base - b.base })
}

// add records a node of the file being instrumented and returns its id.
func (f *instrumented) add(n tnode) int {
	f.nodes = append(f.nodes, n)
	return f.base + len(f.nodes) - 1
}

// The instrumentation of a file depends on its text alone: it is kept for the next render,
// which after a keystroke in one file finds every other file unchanged.
var cache = struct {
	sync.Mutex
	next    int
	entries map[cacheKey]*instrumented
	order   []cacheKey // oldest first
}{entries: map[cacheKey]*instrumented{}}

type cacheKey struct {
	file string
	sum  [sha256.Size]byte
}

const maxCached = 2048

func marker(kind byte, id int) string {
	return string(markStart) + string(kind) + strconv.Itoa(id) + string(markEnd)
}

// instrument returns the instrumented text of one template file, and records the file in the
// render's table. A file that does not parse is returned as it is: the render then fails,
// and the error is taken from a plain render.
func (t *nodeTable) instrument(file string, text []byte) []byte {
	key := cacheKey{file, sha256.Sum256(text)}
	cache.Lock()
	f := cache.entries[key]
	if f == nil {
		f = &instrumented{base: cache.next}
		cache.next += idBlock
	}
	cache.Unlock()
	if f.text == nil {
		f.text = f.build(file, text)
		cache.Lock()
		if cache.entries[key] == nil {
			cache.entries[key] = f
			cache.order = append(cache.order, key)
			if len(cache.order) > maxCached {
				for _, old := range cache.order[:maxCached/4] {
					delete(cache.entries, old)
				}
				cache.order = slices.Delete(cache.order, 0, maxCached/4)
			}
		}
		cache.Unlock()
	}
	t.files = append(t.files, f)
	return f.text
}

// build instruments one template file.
func (f *instrumented) build(file string, text []byte) []byte {
	treeSet := map[string]*parse.Tree{}
	tr := parse.New(file)
	tr.Mode = parse.SkipFuncCheck
	if _, err := tr.Parse(string(text), "", "", treeSet); err != nil {
		return text
	}
	in := instrumenter{table: f, file: file, vars: map[string]string{}}
	names := make([]string, 0, len(treeSet))
	for name := range treeSet {
		names = append(names, name)
	}
	slices.Sort(names)
	var sb strings.Builder
	for _, name := range names {
		tree := treeSet[name]
		if tree.Root == nil {
			continue
		}
		// An empty template stays empty: Helm lets a later empty definition not replace a
		// template, and markers would make it non-empty.
		if !parse.IsEmptyTree(tree.Root) {
			in.list(tree.Root, "")
			if name != file {
				tree.Root.Nodes = append([]parse.Node{tickAction(staticSize(tree.Root))}, tree.Root.Nodes...)
			}
		}
		if name == file {
			sb.WriteString(tree.Root.String())
			continue
		}
		fmt.Fprintf(&sb, "{{define %q}}%s{{end}}", name, tree.Root.String())
	}
	return []byte(sb.String())
}

type instrumenter struct {
	table *instrumented
	file  string
	// vars are the variables bound to values paths ($mount in range $_, $mount :=
	// .Values.mounts), by name; scoping is approximated by the file.
	vars map[string]string
}

// list instruments the nodes of a list; dot is the values path the dot stands for ("" when
// it is not a values path: the root context, a range element, a define's argument).
func (in *instrumenter) list(l *parse.ListNode, dot string) {
	if l == nil {
		return
	}
	out := make([]parse.Node, 0, 2*len(l.Nodes))
	for _, n := range l.Nodes {
		if _, isText := n.(*parse.TextNode); !isText {
			out = separate(out)
		}
		switch n := n.(type) {
		case *parse.TextNode:
			id := in.table.add(tnode{file: in.file, pos: int(n.Pos), kind: kindText})
			out = append(out, textNode(marker('T', id)), n)
		case *parse.ActionNode:
			if len(n.Pipe.Decl) > 0 {
				in.pipe(n.Pipe, false)
				out = append(out, n)
				continue
			}
			paths := in.valuesPaths(n.Pipe, dot)
			if in.pipe(n.Pipe, true) {
				id := in.table.add(tnode{file: in.file, pos: int(n.Pos), kind: kindCall, values: paths})
				out = append(out, callAction(id), textNode(marker('A', id)), n, retAction())
				continue
			}
			id := in.table.add(tnode{file: in.file, pos: int(n.Pos), kind: kindAction, values: paths})
			out = append(out, textNode(marker('A', id)), n)
		case *parse.TemplateNode:
			if n.Pipe != nil {
				in.pipe(n.Pipe, false)
			}
			var paths []string
			if n.Pipe != nil {
				paths = in.valuesPaths(n.Pipe, dot)
			}
			id := in.table.add(tnode{file: in.file, pos: int(n.Pos), kind: kindCall, values: paths})
			out = append(out, callAction(id), n, retAction())
		case *parse.IfNode:
			in.branch(&n.BranchNode, dot, false)
			out = append(out, n)
		case *parse.WithNode:
			in.branch(&n.BranchNode, dot, true)
			out = append(out, n)
		case *parse.RangeNode:
			in.pipe(n.Pipe, false)
			paths := in.valuesPaths(n.Pipe, dot)
			id := in.table.add(tnode{file: in.file, pos: int(n.Pos), kind: kindGuard, values: paths, body: staticText(n.List), loop: true})
			elem := ""
			if len(paths) == 1 && isSingleField(&parse.PipeNode{Cmds: n.Pipe.Cmds}) {
				elem = paths[0] + wildcard
				if d := n.Pipe.Decl; len(d) > 0 {
					in.vars[d[len(d)-1].Ident[0]] = elem
				}
			}
			in.list(n.List, elem)
			n.List.Nodes = append([]parse.Node{tickAction(staticSize(n.List)), textNode(marker('G', id))}, n.List.Nodes...)
			n.List.Nodes = append(n.List.Nodes, textNode(marker('g', id)))
			in.list(n.ElseList, dot)
			out = append(out, n)
		default:
			out = append(out, n)
		}
	}
	l.Nodes = separate(out)
}

// separate ends a list of nodes with a no-op marker when its last node is text that ends in
// "{": printed back, that brace and the next action's "{{" would read as "{{{".
func separate(nodes []parse.Node) []parse.Node {
	if len(nodes) == 0 {
		return nodes
	}
	if t, ok := nodes[len(nodes)-1].(*parse.TextNode); ok && len(t.Text) > 0 && t.Text[len(t.Text)-1] == '{' {
		return append(nodes, textNode(string(markStart)+"."+string(markEnd)))
	}
	return nodes
}

// branch instruments an if or with: its block is marked as guarded by the values its
// condition reads, and a guard that writes nothing leaves an F marker where its block
// would have been.
func (in *instrumenter) branch(b *parse.BranchNode, dot string, with bool) {
	in.pipe(b.Pipe, false)
	paths := in.valuesPaths(b.Pipe, dot)
	inner := dot
	if with {
		inner = ""
		if len(paths) == 1 && isSingleField(b.Pipe) {
			inner = paths[0]
		}
	}
	id := in.table.add(tnode{file: in.file, pos: int(b.Pos), kind: kindGuard, values: paths, body: staticText(b.List)})
	in.list(b.List, inner)
	b.List.Nodes = append(append([]parse.Node{textNode(marker('G', id))}, b.List.Nodes...), textNode(marker('g', id)))
	if b.ElseList == nil {
		b.ElseList = &parse.ListNode{NodeType: parse.NodeList, Pos: b.Pos, Nodes: []parse.Node{textNode(marker('F', id))}}
		return
	}
	elseID := in.table.add(tnode{file: in.file, pos: int(b.ElseList.Pos), kind: kindGuard, values: paths, body: staticText(b.ElseList), negated: true})
	in.list(b.ElseList, dot)
	b.ElseList.Nodes = append(append([]parse.Node{textNode(marker('G', elseID))}, b.ElseList.Nodes...), textNode(marker('g', elseID)))
}

// pipe makes include and tpl results safe for the functions that receive them and reports
// whether an include's marked output flows into this action's output. output says whether
// the pipeline is an action's printed value.
func (in *instrumenter) pipe(p *parse.PipeNode, output bool) (calls bool) {
	if p == nil {
		return false
	}
	cmds := make([]*parse.CommandNode, 0, len(p.Cmds))
	for i, c := range p.Cmds {
		for _, a := range c.Args[1:] {
			in.arg(a)
		}
		if len(c.Args) > 0 {
			in.arg(c.Args[0])
		}
		cmds = append(cmds, c)
		name := identName(c)
		switch {
		case name == "include" && output && passesMarkers(p.Cmds[i+1:]):
			calls = true
		case name == "include" || name == "tpl":
			cmds = append(cmds, stripCommand())
		}
	}
	p.Cmds = cmds
	return calls
}

// arg instruments a pipeline nested in an argument: its include results are always
// stripped.
func (in *instrumenter) arg(n parse.Node) {
	switch n := n.(type) {
	case *parse.PipeNode:
		in.pipe(n, false)
	case *parse.ChainNode:
		in.arg(n.Node)
	}
}

func identName(c *parse.CommandNode) string {
	if len(c.Args) == 0 {
		return ""
	}
	if id, ok := c.Args[0].(*parse.IdentifierNode); ok {
		return id.Ident
	}
	return ""
}

// passesMarkers reports whether the commands after an include keep its text intact apart
// from adding indentation, so its markers may flow through them.
func passesMarkers(rest []*parse.CommandNode) bool {
	for _, c := range rest {
		switch identName(c) {
		case "indent", "nindent":
		default:
			return false
		}
	}
	return true
}

func textNode(s string) *parse.TextNode {
	return &parse.TextNode{NodeType: parse.NodeText, Text: []byte(s)}
}

func actionOf(args ...parse.Node) *parse.ActionNode {
	cmd := &parse.CommandNode{NodeType: parse.NodeCommand, Args: args}
	return &parse.ActionNode{NodeType: parse.NodeAction, Pipe: &parse.PipeNode{NodeType: parse.NodePipe, Cmds: []*parse.CommandNode{cmd}}}
}

func numberNode(n int) *parse.NumberNode {
	return &parse.NumberNode{NodeType: parse.NodeNumber, IsInt: true, Int64: int64(n), IsFloat: true, Float64: float64(n), Text: strconv.Itoa(n)}
}

func callAction(id int) *parse.ActionNode {
	return actionOf(parse.NewIdentifier(fnCall), numberNode(id))
}

func retAction() *parse.ActionNode { return actionOf(parse.NewIdentifier(fnRet)) }

func tickAction(size int) *parse.ActionNode {
	return actionOf(parse.NewIdentifier(fnTick), numberNode(size))
}

func stripCommand() *parse.CommandNode {
	return &parse.CommandNode{NodeType: parse.NodeCommand, Args: []parse.Node{parse.NewIdentifier(fnStrip)}}
}

// staticText is the text a block holds, its nested blocks included.
func staticText(l *parse.ListNode) string {
	var sb strings.Builder
	var walk func(l *parse.ListNode)
	walk = func(l *parse.ListNode) {
		if l == nil {
			return
		}
		for _, n := range l.Nodes {
			switch n := n.(type) {
			case *parse.TextNode:
				if len(n.Text) == 0 || n.Text[0] != markStart {
					sb.Write(n.Text)
				}
			case *parse.IfNode:
				walk(n.List)
				walk(n.ElseList)
			case *parse.WithNode:
				walk(n.List)
				walk(n.ElseList)
			case *parse.RangeNode:
				walk(n.List)
				walk(n.ElseList)
			}
		}
	}
	walk(l)
	return sb.String()
}

// staticSize approximates what one pass over a block writes, for the output bound.
func staticSize(l *parse.ListNode) int { return len(staticText(l)) + 16 }
