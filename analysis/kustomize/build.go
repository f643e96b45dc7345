package kustomize

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"

	"go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// DefaultTimeout bounds a build when Options.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// Options say how to build an overlay.
type Options struct {
	Read    ReadFunc // reads every file of the overlay; nil reads the disk
	Timeout time.Duration
}

// Built is an overlay's build output with, for every object, where it came from.
type Built struct {
	*Overlay
	Text    string    // the built objects, one YAML document each, in kustomize's order
	Objects []*Object // by document of Text
}

// Object is one built object and the resource it was built from.
type Object struct {
	Kind, Name, Namespace string // as built
	Labels, Annotations   map[string]string
	// Origin is the resource file it came from (absolute), Doc its document there and
	// OrigName its name before prefixes and suffixes; "" and nil for a generated object.
	Origin   string
	Src      *Source
	Doc      *yamldoc.Document
	OrigName string
	Root     *yaml.Node // the built object's tree, once checked
}

// Build builds the overlay at root (an absolute directory) in-process with kustomize, reading
// files through opts.Read and never fetching anything. An entry that stops the build (a
// patch that does not apply, a resource that is not valid) is found by building without it,
// one entry at a time: it becomes a Problem at that entry and the rest is still built. The
// build is bounded by opts.Timeout.
func Build(ctx context.Context, root string, opts Options) (*Built, error) {
	ctx, cancel := context.WithTimeout(ctx, cmp.Or(opts.Timeout, DefaultTimeout))
	defer cancel()
	o := Load(root, opts.Read)
	b := &Built{Overlay: o}
	if o.Top == nil {
		return nil, fmt.Errorf("%s has no kustomization.yaml", root)
	}
	if o.Top.ErrMsg != "" || o.Top.Kind == "Component" {
		return b, nil // a component is built only as part of the overlays that use it
	}
	m, err := o.run(ctx, nil)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("building %s: %w", root, ctx.Err())
		}
		m = o.isolate(ctx, err)
	}
	if m == nil {
		return b, nil
	}
	return b, b.collect(m)
}

// run builds the overlay with extra entries left out.
func (o *Overlay) run(ctx context.Context, extra map[string][][]any) (resmap.ResMap, error) {
	texts, err := o.texts(extra)
	if err != nil {
		return nil, err
	}
	fs := &overlayFS{FileSystem: filesys.MakeFsOnDisk(), ctx: ctx, read: o.read, texts: texts}
	type outcome struct {
		m   resmap.ResMap
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		defer func() {
			// kustomize is not ours: a panic on an overlay is that overlay's error
			if r := recover(); r != nil {
				done <- outcome{err: fmt.Errorf("kustomize failed: %v", r)}
			}
		}()
		m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fs, o.Root)
		done <- outcome{m, err}
	}()
	select {
	case r := <-done:
		return r.m, r.err
	case <-ctx.Done():
		// the build stops at its next read of a file, which fails once ctx is done
		return nil, ctx.Err()
	}
}

// isolate finds the entry that stops the build: the first one without which it succeeds
// becomes a Problem with kustomize's error. Without such an entry, the error is placed on
// the top kustomization and nothing is built.
func (o *Overlay) isolate(ctx context.Context, buildErr error) resmap.ResMap {
	for _, cand := range o.entries() {
		if ctx.Err() != nil {
			break
		}
		m, err := o.run(ctx, map[string][][]any{cand.k.File: {cand.at}})
		if err == nil {
			o.Problems = append(o.Problems, Problem{cand.k.location(cand.at), cleanError(buildErr, cand.k.Dir)})
			o.drops[cand.k.File] = append(o.drops[cand.k.File], cand.at)
			return m
		}
	}
	msg := cleanError(buildErr, o.Root)
	o.Problems = append(o.Problems, Problem{o.Top.location(blamedKey(o.Top, msg)), "the overlay does not build: " + msg})
	return nil
}

// transformerFields are the kustomization fields of kustomize's builtin transformers, by the
// name its errors give them.
var transformerFields = map[string]string{
	"PatchTransformer": "patches", "PatchStrategicMergeTransformer": "patchesStrategicMerge",
	"PatchJson6902Transformer": "patchesJson6902", "ImageTagTransformer": "images",
	"ReplicaCountTransformer": "replicas", "NamespaceTransformer": "namespace",
	"PrefixTransformer": "namePrefix", "SuffixTransformer": "nameSuffix",
	"LabelTransformer": "labels", "AnnotationsTransformer": "commonAnnotations",
}

// blamedKey is the top-level key of k that kustomize's error names ("Kustomization.patches",
// "builtin PatchTransformer"), else its kind, else its first key.
func blamedKey(k *Kustomization, msg string) []any {
	root := k.Doc.Root
	for _, key := range mapKeys(root) {
		if strings.Contains(msg, "Kustomization."+key+" ") {
			return []any{key}
		}
	}
	for name, field := range transformerFields {
		if strings.Contains(msg, " "+name+" ") && yamldoc.MappingValue(root, field) != nil {
			return []any{field}
		}
	}
	if yamldoc.MappingValue(root, "kind") != nil {
		return []any{"kind"}
	}
	if keys := mapKeys(root); len(keys) > 0 {
		return []any{keys[0]}
	}
	return nil
}

type entry struct {
	k  *Kustomization
	at []any
}

// entries are the entries that could stop a build, the patches first (the likelier cause).
func (o *Overlay) entries() []entry {
	var patches, refs []entry
	seen := map[string]bool{}
	for _, k := range o.nodes {
		if k.ErrMsg != "" || seen[k.File] {
			continue
		}
		seen[k.File] = true
		for _, w := range k.Writes {
			if w.Entry != nil && !slices.ContainsFunc(patches, func(e entry) bool { return e.k == k && pathEqual(e.at, w.Entry) }) {
				patches = append(patches, entry{k, w.Entry})
			}
		}
		for _, r := range k.Refs {
			if !slices.ContainsFunc(o.drops[k.File], func(p []any) bool { return pathEqual(p, r.Item) }) {
				refs = append(refs, entry{k, r.Item})
			}
		}
	}
	return append(patches, refs...)
}

// cleanError shortens kustomize's error: its wrapped chain repeats the same message, and
// absolute paths under the overlay are named relative to it.
func cleanError(err error, dir string) string {
	msg := err.Error()
	var chain []string
	for e := err; e != nil; e = errors.Unwrap(e) {
		chain = append(chain, e.Error())
	}
	if len(chain) > 0 {
		msg = chain[0]
	}
	msg = strings.ReplaceAll(msg, dir+string(filepath.Separator), "")
	if len(msg) > 400 {
		msg = msg[:400] + "..."
	}
	return msg
}

// collect turns the build output into Text and Objects, finding each object's resource
// document by its kind and name (the built name holds the resource's name: prefixes and
// suffixes only add to it), among the resource files of the kustomizations it was built by.
func (b *Built) collect(m resmap.ResMap) error {
	var text strings.Builder
	var docs []resourceDoc
	seen := map[string]bool{}
	for _, k := range b.nodes {
		for _, file := range k.files {
			if seen[file] {
				continue
			}
			seen[file] = true
			data, err := b.read(file)
			if err != nil {
				continue
			}
			src := newSource(file, string(data))
			for _, d := range src.Docs {
				if d.Root != nil {
					docs = append(docs, resourceDoc{src, d, yamldoc.ScalarString(yamldoc.MappingValue(d.Root, "kind")),
						yamldoc.ScalarString(yamldoc.MappingValue(yamldoc.MappingValue(d.Root, "metadata"), "name"))})
				}
			}
		}
	}
	for i, r := range m.Resources() {
		obj := &Object{Kind: r.GetKind(), Name: r.GetName(), Namespace: r.GetNamespace(), Labels: r.GetLabels(), Annotations: r.GetAnnotations()}
		best := -1
		for j, d := range docs {
			if d.kind == obj.Kind && strings.Contains(obj.Name, d.name) && (best < 0 || len(d.name) > len(docs[best].name)) {
				best = j
			}
		}
		if best >= 0 {
			d := docs[best]
			obj.Origin, obj.Src, obj.Doc, obj.OrigName = d.src.File, d.src, d.doc, d.name
		}
		b.Objects = append(b.Objects, obj)
		// encoded from the node, not through JSON (kustomize build's way): keys stay in the
		// order of the files, comments (suppressions) stay, and it takes a third of the time
		y, err := r.RNode.String()
		if err != nil {
			return err
		}
		if i > 0 {
			text.WriteString("---\n")
		}
		text.WriteString(y)
	}
	b.Text = text.String()
	return nil
}

// resourceDoc is a document of a resource file, with its kind and name.
type resourceDoc struct {
	src        *Source
	doc        *yamldoc.Document
	kind, name string
}

// overlayFS is the disk as kustomize reads it: the editor's text where it has some, the
// kustomizations as the build needs them, and nothing once the build's time is up.
type overlayFS struct {
	filesys.FileSystem
	ctx   context.Context
	read  ReadFunc
	texts map[string][]byte
}

func (f *overlayFS) ReadFile(path string) ([]byte, error) {
	if err := f.ctx.Err(); err != nil {
		return nil, err
	}
	if t, ok := f.texts[path]; ok {
		return t, nil
	}
	return f.read(path)
}
