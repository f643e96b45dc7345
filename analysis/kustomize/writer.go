package kustomize

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"

	"go.yaml.in/yaml/v3"
)

// Writer is one thing in a kustomization that writes fields of the built objects: a
// strategic-merge patch (one document), a JSON 6902 patch, or a transformer entry.
type Writer struct {
	Field string         // the kustomization field: patches, images, namePrefix, ...
	In    *Kustomization // the kustomization that holds the entry
	Entry []any          // path of the entry in In's document
	// A patch: its source (a file, or text inline in the kustomization) and, for JSON 6902,
	// its operations; Doc is the strategic-merge patch's document in Src.
	File   string // the patch file as written in the entry, "" for an inline patch
	Src    *Source
	Doc    *yamldoc.Document
	Ops    []jsonOp
	Target *target
	// A transformer entry: what it matches (an image or object name, a label key) and where
	// in In's document the value it writes is.
	Name  string
	Value []any
	scope *Kustomization // the kustomization whose resources it applies to
}

// A writer's kind.
const (
	fieldPatches = "patches"
	fieldSMP     = "patchesStrategicMerge"
	fieldJSON    = "patchesJson6902"
)

type jsonOp struct {
	op   string
	path []string // the pointer's segments, unescaped
	item int      // index of the operation in its document
}

// target selects the objects a patch applies to.
type target struct {
	kind, name, namespace string
	labels, annotations   map[string]string
}

// writers lists the kustomization's patches and transformer entries in the order kustomize
// applies them (its builtin transformer order). Patch sources are read later (Overlay.load).
func (k *Kustomization) writers() []*Writer {
	root := k.Doc.Root
	var out []*Writer
	patch := func(field string, i int, item *yaml.Node) {
		w := &Writer{Field: field, In: k, Entry: []any{field, i}}
		switch s := yamldoc.ScalarString(item); {
		case item.Kind == yaml.ScalarNode && strings.Contains(s, "\n"):
			w.Src = inlineSource(k, item)
		case item.Kind == yaml.ScalarNode:
			w.File = s
		default:
			w.File = yamldoc.ScalarString(yamldoc.MappingValue(item, "path"))
			if n := yamldoc.MappingValue(item, "patch"); n != nil {
				w.Src = inlineSource(k, n)
			}
			w.Target = parseTarget(yamldoc.MappingValue(item, "target"))
		}
		out = append(out, w)
	}
	for i, item := range seqItems(yamldoc.MappingValue(root, fieldSMP)) {
		patch(fieldSMP, i, item)
	}
	for i, item := range seqItems(yamldoc.MappingValue(root, fieldPatches)) {
		patch(fieldPatches, i, item)
	}
	for _, f := range []string{"namespace", "namePrefix", "nameSuffix"} {
		if yamldoc.MappingValue(root, f) != nil {
			out = append(out, &Writer{Field: f, In: k, Value: []any{f}})
		}
	}
	for _, key := range mapKeys(yamldoc.MappingValue(root, "commonLabels")) {
		out = append(out, &Writer{Field: "commonLabels", In: k, Name: key, Value: []any{"commonLabels", key}})
	}
	for i, item := range seqItems(yamldoc.MappingValue(root, "labels")) {
		for _, key := range mapKeys(yamldoc.MappingValue(item, "pairs")) {
			out = append(out, &Writer{Field: "labels", In: k, Name: key, Value: []any{"labels", i, "pairs", key}})
		}
	}
	for _, key := range mapKeys(yamldoc.MappingValue(root, "commonAnnotations")) {
		out = append(out, &Writer{Field: "commonAnnotations", In: k, Name: key, Value: []any{"commonAnnotations", key}})
	}
	for i, item := range seqItems(yamldoc.MappingValue(root, fieldJSON)) {
		patch(fieldJSON, i, item)
	}
	for i, item := range seqItems(yamldoc.MappingValue(root, "replicas")) {
		out = append(out, &Writer{Field: "replicas", In: k, Name: yamldoc.ScalarString(yamldoc.MappingValue(item, "name")), Value: []any{"replicas", i, "count"}})
	}
	for i, item := range seqItems(yamldoc.MappingValue(root, "images")) {
		w := &Writer{Field: "images", In: k, Name: yamldoc.ScalarString(yamldoc.MappingValue(item, "name")), Value: []any{"images", i}}
		for _, key := range []string{"newTag", "digest", "newName"} {
			if yamldoc.MappingValue(item, key) != nil {
				w.Value = []any{"images", i, key}
				break
			}
		}
		out = append(out, w)
	}
	return out
}

func mapKeys(n *yaml.Node) []string {
	n = yamldoc.Deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	var keys []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		keys = append(keys, n.Content[i].Value)
	}
	return keys
}

func parseTarget(n *yaml.Node) *target {
	if yamldoc.Deref(n) == nil {
		return nil
	}
	s := func(k string) string { return yamldoc.ScalarString(yamldoc.MappingValue(n, k)) }
	return &target{kind: s("kind"), name: s("name"), namespace: s("namespace"),
		labels: parseSelector(s("labelSelector")), annotations: parseSelector(s("annotationSelector"))}
}

// parseSelector reads the equality terms of a label selector ("a=b,c=d"); other terms are
// not decided here and match anything.
func parseSelector(sel string) map[string]string {
	if sel == "" {
		return nil
	}
	out := map[string]string{}
	for _, term := range strings.Split(sel, ",") {
		if k, v, ok := strings.Cut(term, "="); ok && !strings.HasSuffix(k, "!") {
			out[strings.TrimSpace(k)] = strings.TrimSpace(strings.TrimPrefix(v, "="))
		}
	}
	return out
}

// applies reports whether the writer applies to object o.
func (w *Writer) applies(o *Object) bool {
	if w.scope != nil && !w.scope.reach[o.Origin] {
		return false
	}
	switch {
	case w.Target != nil:
		return w.Target.matches(o)
	case w.Ops != nil:
		return false // a JSON 6902 patch without a target applies to nothing
	case w.Doc != nil:
		kind := yamldoc.ScalarString(yamldoc.MappingValue(w.Doc.Root, "kind"))
		name := yamldoc.ScalarString(yamldoc.MappingValue(yamldoc.MappingValue(w.Doc.Root, "metadata"), "name"))
		return kind == o.Kind && (name == o.Name || name == o.OrigName)
	case w.Field == "replicas":
		return w.Name == o.Name || w.Name == o.OrigName
	}
	return w.Src == nil && w.File == ""
}

func (t *target) matches(o *Object) bool {
	if t.kind != "" && t.kind != o.Kind {
		return false
	}
	if t.name != "" && !fullMatch(t.name, o.Name) && !fullMatch(t.name, o.OrigName) {
		return false
	}
	for k, v := range t.labels {
		if o.Labels[k] != v {
			return false
		}
	}
	for k, v := range t.annotations {
		if o.Annotations[k] != v {
			return false
		}
	}
	return true
}

func fullMatch(pattern, s string) bool {
	if pattern == s {
		return true
	}
	re, err := regexp.Compile("^(?:" + pattern + ")$")
	return err == nil && re.MatchString(s)
}

// wrote returns where the writer set the field at path of object o (path from the object's
// root), and, for a strategic-merge patch, the path in the patch's document.
func (w *Writer) wrote(o *Object, path []any) (loc Location, local []any, ok bool) {
	switch {
	case w.Ops != nil:
		for i := len(w.Ops) - 1; i >= 0; i-- {
			op := w.Ops[i]
			if op.op != "remove" && op.op != "test" && pointerPrefix(op.path, path) {
				at := []any{op.item, "value"}
				if op.op == "move" || op.op == "copy" {
					at = []any{op.item, "from"}
				}
				return w.Src.location(w.Doc, w.Doc.PathRange(yamldoc.Object{}, at)), nil, true
			}
		}
		return Location{}, nil, false
	case w.Doc != nil:
		local, complete := localPath(w.Doc.Root, o.Root, path)
		if !complete {
			return Location{}, nil, false
		}
		return w.Src.location(w.Doc, w.Doc.PathRange(yamldoc.Object{}, local)), local, true
	}
	if w.wroteTransform(o, path) {
		return w.In.location(w.Value), nil, true
	}
	return Location{}, nil, false
}

// removed returns the JSON 6902 operation that removed the field at path, or the missing
// part of it (path exists in the built object up to its first `existing` elements), if any.
func (w *Writer) removed(path []any, existing int) (Location, bool) {
	for i := len(w.Ops) - 1; i >= 0; i-- {
		if op := w.Ops[i]; op.op == "remove" && len(op.path) > existing && pointerPrefix(op.path, path) {
			return w.Src.location(w.Doc, w.Doc.PathRange(yamldoc.Object{}, []any{op.item})), true
		}
	}
	return Location{}, false
}

func (w *Writer) wroteTransform(o *Object, path []any) bool {
	last := func(keys ...string) bool {
		if len(path) < 2 {
			return false
		}
		k, _ := path[len(path)-1].(string)
		parent, _ := path[len(path)-2].(string)
		return k == w.Name && (parent == keys[0] || len(keys) > 1 && parent == keys[1])
	}
	is := func(p ...any) bool { return pathEqual(path, p) }
	switch w.Field {
	case "namespace":
		return is("metadata", "namespace")
	case "namePrefix", "nameSuffix":
		return is("metadata", "name")
	case "commonLabels", "labels":
		return last("labels", "matchLabels")
	case "commonAnnotations":
		return last("annotations")
	case "replicas":
		return is("spec", "replicas")
	case "images":
		if len(path) == 0 || path[len(path)-1] != "image" {
			return false
		}
		image := yamldoc.ScalarString(yamldoc.NodeAt(o.Root, path))
		newName := yamldoc.ScalarString(yamldoc.MappingValue(yamldoc.NodeAt(w.In.Doc.Root, w.Value[:2]), "newName"))
		name := imageName(image)
		return name == w.Name || newName != "" && name == newName
	}
	return false
}

// imageName is an image reference without its tag and digest.
func imageName(image string) string {
	if i := strings.Index(image, "@"); i >= 0 {
		image = image[:i]
	}
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		image = image[:i]
	}
	return image
}

func pathEqual(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// pointerPrefix reports whether a JSON pointer's segments are a prefix of path ("-", the end
// of a list, stands for any index).
func pointerPrefix(seg []string, path []any) bool {
	if len(seg) > len(path) {
		return false
	}
	for i, s := range seg {
		switch p := path[i].(type) {
		case string:
			if s != p {
				return false
			}
		case int:
			if s != "-" && s != strconv.Itoa(p) {
				return false
			}
		}
	}
	return true
}

// parseOps reads a JSON 6902 patch's operations; ok is false when the document is not a list.
func parseOps(d *yamldoc.Document) ([]jsonOp, bool) {
	if d == nil || d.Root == nil || d.Root.Kind != yaml.SequenceNode {
		return nil, false
	}
	var ops []jsonOp
	for i, item := range d.Root.Content {
		p := yamldoc.ScalarString(yamldoc.MappingValue(item, "path"))
		segs := strings.Split(strings.TrimPrefix(p, "/"), "/")
		for j, s := range segs {
			segs[j] = strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
		}
		ops = append(ops, jsonOp{op: yamldoc.ScalarString(yamldoc.MappingValue(item, "op")), path: segs, item: i})
	}
	return ops, true
}
