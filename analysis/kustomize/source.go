package kustomize

import (
	"strings"
	"sync"

	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"

	"go.yaml.in/yaml/v3"
)

// Location is a place in a file: 1-based lines, 1-based code-point columns, end exclusive.
type Location struct {
	File                             string // absolute
	Line, Column, EndLine, EndColumn int
}

// Source is the text of a patch or resource: a file, or a block inline in a kustomization.
type Source struct {
	File string // the file that holds the text (the kustomization, for inline text)
	Text string
	Docs []*yamldoc.Document
	// An inline text starts on line lineBase+1 of File, indented by indent columns; offsets
	// in Text map to File through them. For a file, lineBase is -1.
	lineBase, indent int
	mapper           *yamldoc.Mapper
}

// sourceCache keeps the parsed files of recent builds: the overlays that share a base parse
// it once, and a rebuild after a keystroke parses only the file that changed. A Source is
// never modified once made, so builds share them.
var sourceCache = struct {
	sync.Mutex
	m map[string]*Source
}{m: map[string]*Source{}}

// maxCachedSources bounds the cache; past it, it starts again empty.
const maxCachedSources = 512

// newSource parses the documents of a file's text, or returns the Source already parsed from
// the same text.
func newSource(file, text string) *Source {
	sourceCache.Lock()
	s, ok := sourceCache.m[file]
	sourceCache.Unlock()
	if ok && s.Text == text {
		return s
	}
	s = parseSource(file, text)
	sourceCache.Lock()
	if len(sourceCache.m) >= maxCachedSources {
		clear(sourceCache.m)
	}
	sourceCache.m[file] = s
	sourceCache.Unlock()
	return s
}

func parseSource(file, text string) *Source {
	s := &Source{File: file, Text: text, lineBase: -1, mapper: yamldoc.NewMapper(text)}
	s.Docs = yamldoc.SplitMapped(s.mapper)
	for _, d := range s.Docs {
		d.Parse()
	}
	return s
}

// inlineSource is the text of a scalar of kustomization k (an inline patch). A block scalar
// ("|" or ">") maps line for line onto the kustomization; a quoted or plain one is placed on
// its own line, as its lines do not map.
func inlineSource(k *Kustomization, n *yaml.Node) *Source {
	s := parseSource(k.File, n.Value) // its own copy: its position is set below
	s.File = k.File
	m := k.Doc.Mapper() // the document's own lines
	line := m.LineOf(k.Doc.NodeOffset(n))
	s.indent = 0
	if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		// the text starts on the line after the indicator, at the indentation of its first
		// non-blank line
		for l := line + 1; l < m.LineCount(); l++ {
			text := m.Line(l)
			if strings.TrimSpace(text) != "" {
				s.indent = len(text) - len(strings.TrimLeft(text, " "))
				break
			}
		}
		s.lineBase = k.Doc.Line + line + 1
	} else {
		s.lineBase = k.Doc.Line + line
		s.indent = -1
	}
	return s
}

// location maps a range of document d of the source to a Location in the file.
func (s *Source) location(d *yamldoc.Document, r yamldoc.Range) Location {
	r = r.Shift(d.Offset)
	a, b := s.mapper.Pos(r.Start, yamldoc.CodePoints), s.mapper.Pos(r.End, yamldoc.CodePoints)
	if s.lineBase < 0 {
		return Location{File: s.File, Line: a.Line + 1, Column: a.Col + 1, EndLine: b.Line + 1, EndColumn: b.Col + 1}
	}
	if s.indent < 0 { // a flow scalar: its line in the kustomization
		return Location{File: s.File, Line: s.lineBase + 1, Column: 1, EndLine: s.lineBase + 1, EndColumn: 2}
	}
	return Location{File: s.File, Line: s.lineBase + a.Line + 1, Column: s.indent + a.Col + 1,
		EndLine: s.lineBase + b.Line + 1, EndColumn: s.indent + b.Col + 1}
}

// location is where path lies in the kustomization's document (an entry, a transformer
// value).
func (k *Kustomization) location(path []any) Location {
	return k.source().location(k.Doc, k.Doc.PathRange(yamldoc.Object{}, path))
}

func (k *Kustomization) source() *Source {
	return &Source{File: k.File, Text: k.Text, lineBase: -1, mapper: yamldoc.NewMapper(k.Text)}
}

// mergeKeys are the keys by which strategic merge matches list items, in the order tried.
var mergeKeys = []string{"name", "mountPath", "containerPort", "devicePath", "ip", "topologyKey"}

// localPath follows path, a path of the built object (bo), through src, a partial object
// (a patch, or the base resource): list items are matched by their merge key, as strategic
// merge does, else by index. It returns the path in src as far as it exists there, and
// whether all of it does.
func localPath(src, bo *yaml.Node, path []any) ([]any, bool) {
	var local []any
	s, b := yamldoc.Deref(src), yamldoc.Deref(bo)
	for _, p := range path {
		if s == nil {
			return local, false
		}
		switch p := p.(type) {
		case string:
			if s.Kind != yaml.MappingNode {
				return local, false
			}
			next := yamldoc.MappingValue(s, p)
			if next == nil {
				return local, false
			}
			s, b = next, yamldoc.MappingValue(b, p)
			local = append(local, p)
		case int:
			if s.Kind != yaml.SequenceNode {
				return local, false
			}
			var item *yaml.Node
			if b != nil && b.Kind == yaml.SequenceNode && p < len(b.Content) {
				item = yamldoc.Deref(b.Content[p])
			}
			i := matchItem(s, item, p)
			if i < 0 {
				return local, false
			}
			s, b = yamldoc.Deref(s.Content[i]), item
			local = append(local, i)
		default:
			return local, false
		}
	}
	return local, true
}

// matchItem finds the item of list s that is item (index i of the built list): the one with
// the same merge key, else, for items without one, the same index.
func matchItem(s, item *yaml.Node, i int) int {
	if item != nil && item.Kind == yaml.MappingNode {
		for _, key := range mergeKeys {
			want := yamldoc.MappingValue(item, key)
			if want == nil {
				continue
			}
			for j, c := range s.Content {
				if v := yamldoc.MappingValue(yamldoc.Deref(c), key); v != nil && v.Value == want.Value {
					return j
				}
			}
			return -1
		}
	}
	if item != nil && item.Kind == yaml.ScalarNode {
		for j, c := range s.Content {
			if yamldoc.Deref(c).Kind == yaml.ScalarNode && yamldoc.Deref(c).Value == item.Value {
				return j
			}
		}
		return -1
	}
	if i < len(s.Content) {
		return i
	}
	return -1
}
