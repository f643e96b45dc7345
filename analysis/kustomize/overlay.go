package kustomize

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"

	"go.yaml.in/yaml/v3"
)

// Overlay is an overlay root and everything it uses, read and parsed, before any build.
type Overlay struct {
	Root     string         // absolute directory
	Top      *Kustomization // nil when Root has no kustomization
	Files    []string       // every file the overlay reads, absolute, sorted
	Problems []Problem      // entries that cannot be used, at the entry
	Writers  []*Writer      // patches and transformer entries, in the order kustomize applies them

	nodes     []*Kustomization
	drops     map[string][][]any // by kustomization file: entries left out of the build
	read      ReadFunc
	used      map[string]bool
	fragments map[string]bool // kustomizations and patch files
}

func readDisk(path string) ([]byte, error) { return os.ReadFile(path) }

// Problem is a kustomization entry (or file) that cannot be built, placed at the entry.
type Problem struct {
	Location
	Msg string
}

// Load reads the overlay at root (an absolute directory) and every kustomization, resource
// and patch it uses, through read (nil reads the disk). Entries that cannot be used (remote,
// missing, a cycle of bases, a patch that does not parse) become Problems and are left out
// of the build.
func Load(root string, read ReadFunc) *Overlay {
	if read == nil {
		read = readDisk
	}
	o := &Overlay{Root: root, read: read, drops: map[string][][]any{}, used: map[string]bool{}, fragments: map[string]bool{}}
	o.Top = o.visit(root, nil)
	if o.Top != nil && o.Top.ErrMsg == "" {
		o.order(o.Top, o.Top)
		reach(o.Top)
	}
	for f := range o.used {
		o.Files = append(o.Files, f)
	}
	slices.Sort(o.Files)
	return o
}

// Uses reports whether the overlay reads file (absolute).
func (o *Overlay) Uses(file string) bool { return o.used[file] }

func (o *Overlay) visit(dir string, stack []string) *Kustomization {
	file := FileIn(dir)
	if file == "" {
		return nil
	}
	o.used[file], o.fragments[file] = true, true
	text, err := o.read(file)
	if err != nil {
		text = nil
	}
	k := parseKustomization(file, text)
	o.nodes = append(o.nodes, k)
	if k.ErrMsg != "" {
		loc := Location{File: file, Line: 1, Column: 1, EndLine: 1, EndColumn: 2}
		if k.Doc != nil {
			loc = k.source().location(k.Doc, yamldoc.Range{Start: k.ErrAt, End: k.ErrAt + 1})
		}
		o.Problems = append(o.Problems, Problem{loc, k.ErrMsg})
		return k
	}
	stack = append(stack, dir)
	for _, r := range k.Refs {
		if msg := o.useRef(k, r, stack); msg != "" {
			o.problem(k, r.Item, msg)
		}
	}
	var writes []*Writer
	for _, w := range k.Writes {
		ws, msg := o.loadPatch(k, w)
		if msg != "" {
			at := w.Entry
			if w.File != "" && yamldoc.MappingValue(yamldoc.NodeAt(k.Doc.Root, w.Entry), "path") != nil {
				at = append(slices.Clone(at), "path")
			}
			o.problem(k, at, msg)
			o.drops[k.File] = append(o.drops[k.File], w.Entry)
			continue
		}
		writes = append(writes, ws...)
	}
	k.Writes = writes
	return k
}

// useRef follows one path entry: a directory of resources or components is visited, a file
// is recorded. It returns why the entry cannot be used, "" when it can.
func (o *Overlay) useRef(k *Kustomization, r Ref, stack []string) string {
	drop := func(msg string) string {
		o.drops[k.File] = append(o.drops[k.File], r.Item)
		return msg
	}
	if r.Abs == "" {
		return drop(fmt.Sprintf("remote %s entry %q is not fetched: the overlay is checked without it", r.Field, r.Path))
	}
	info, err := os.Stat(r.Abs)
	if err != nil {
		if _, rerr := o.read(r.Abs); rerr != nil { // an unsaved new file still counts
			return drop(fmt.Sprintf("%s entry %q: no such file or directory", r.Field, r.Path))
		}
	}
	if info == nil || !info.IsDir() {
		o.used[r.Abs] = true
		if r.Field == "resources" || r.Field == "bases" {
			k.files = append(k.files, r.Abs)
		}
		return ""
	}
	if r.Field != "resources" && r.Field != "bases" && r.Field != "components" {
		return drop(fmt.Sprintf("%s entry %q is a directory", r.Field, r.Path))
	}
	if i := slices.Index(stack, r.Abs); i >= 0 {
		var names []string
		for _, d := range append(stack[i:], r.Abs) {
			names = append(names, relTo(o.Root, d))
		}
		return drop(fmt.Sprintf("%s entry %q makes a cycle of kustomizations: %s", r.Field, r.Path, strings.Join(names, " -> ")))
	}
	sub := o.visit(r.Abs, stack)
	switch {
	case sub == nil:
		return drop(fmt.Sprintf("%s entry %q: the directory has no kustomization.yaml", r.Field, r.Path))
	case sub.ErrMsg != "":
		return drop(fmt.Sprintf("%s entry %q: %s", r.Field, r.Path, sub.ErrMsg))
	case r.Field == "components":
		k.components = append(k.components, sub)
	default:
		k.subs = append(k.subs, sub)
	}
	return ""
}

// loadPatch reads a patch's source: the writers it stands for (a strategic-merge patch file
// may hold several documents), or why it cannot be used.
func (o *Overlay) loadPatch(k *Kustomization, w *Writer) ([]*Writer, string) {
	if w.Src == nil && w.File == "" {
		return []*Writer{w}, "" // a transformer entry
	}
	if w.Src == nil {
		abs := filepath.Clean(filepath.Join(k.Dir, filepath.FromSlash(w.File)))
		if IsRemote(w.File) {
			return nil, fmt.Sprintf("remote patch %q is not fetched: the overlay is checked without it", w.File)
		}
		text, err := o.read(abs)
		if err != nil {
			return nil, fmt.Sprintf("patch %q: no such file", w.File)
		}
		o.used[abs], o.fragments[abs] = true, true
		w.Src = newSource(abs, string(text))
	}
	var out []*Writer
	for _, d := range w.Src.Docs {
		if d.Err != nil {
			return nil, fmt.Sprintf("the patch does not parse: %v", d.Err)
		}
		if d.Root == nil {
			continue
		}
		if ops, ok := parseOps(d); ok || w.Field == fieldJSON {
			if !ok {
				return nil, "a JSON 6902 patch must be a list of operations"
			}
			jw := *w
			jw.Doc, jw.Ops = d, ops
			if jw.Ops == nil {
				jw.Ops = []jsonOp{}
			}
			out = append(out, &jw)
			continue
		}
		sw := *w
		sw.Doc = d
		out = append(out, &sw)
	}
	return out, ""
}

func (o *Overlay) problem(k *Kustomization, at []any, msg string) {
	o.Problems = append(o.Problems, Problem{k.location(at), msg})
}

// order lists the writers in the order kustomize applies them: a kustomization's resources
// (each a whole build of its own), then its components, then its own patches and
// transformers; scope is the kustomization whose accumulated resources they apply to.
func (o *Overlay) order(k, scope *Kustomization) {
	for _, s := range k.subs {
		o.order(s, s)
	}
	for _, c := range k.components {
		o.order(c, scope)
	}
	for _, w := range k.Writes {
		w.scope = scope
		o.Writers = append(o.Writers, w)
	}
}

// reach computes the resource files every kustomization accumulates.
func reach(k *Kustomization) map[string]bool {
	if k.reach != nil {
		return k.reach
	}
	k.reach = map[string]bool{}
	for _, f := range k.files {
		k.reach[f] = true
	}
	for _, s := range append(slices.Clone(k.subs), k.components...) {
		for f := range reach(s) {
			k.reach[f] = true
		}
	}
	return k.reach
}

// texts are the kustomizations as the build reads them: without the entries that cannot be
// used. (Kustomize's own origin annotations would say what file each object came from, but
// they make every transformer re-annotate every object: more than half of a build's time.)
func (o *Overlay) texts(extra map[string][][]any) (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, k := range o.nodes {
		drops := append(slices.Clone(o.drops[k.File]), extra[k.File]...)
		if len(drops) == 0 || k.ErrMsg != "" {
			continue
		}
		if _, done := out[k.File]; done {
			continue
		}
		var root yaml.Node
		if err := yaml.Unmarshal([]byte(k.Text), &root); err != nil || len(root.Content) == 0 {
			return nil, fmt.Errorf("re-reading %s: %v", k.File, err)
		}
		doc := root.Content[0]
		removeAll(doc, drops)
		b, err := yaml.Marshal(doc)
		if err != nil {
			return nil, err
		}
		out[k.File] = b
	}
	return out, nil
}

// removeAll removes the entries at paths (list items, or mapping keys), the later items of a
// list first so that the indexes of the others hold.
func removeAll(doc *yaml.Node, paths [][]any) {
	sorted := slices.Clone(paths)
	slices.SortFunc(sorted, func(a, b []any) int {
		ai, _ := a[len(a)-1].(int)
		bi, _ := b[len(b)-1].(int)
		return bi - ai
	})
	for _, p := range sorted {
		parent := yamldoc.NodeAt(doc, p[:len(p)-1])
		if parent == nil {
			continue
		}
		switch last := p[len(p)-1].(type) {
		case int:
			if parent.Kind == yaml.SequenceNode && last < len(parent.Content) {
				parent.Content = slices.Delete(parent.Content, last, last+1)
			}
		case string:
			if i := yamldoc.KeyIndex(parent, last); i >= 0 {
				parent.Content = slices.Delete(parent.Content, i, i+2)
			}
		}
	}
}

// relTo names path relative to dir, with slashes, for messages.
func relTo(dir, path string) string {
	if rel, err := filepath.Rel(dir, path); err == nil {
		return filepath.ToSlash(rel)
	}
	return path
}
