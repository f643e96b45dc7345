package analysis

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/kube-policy-ls/kube-policy-ls/analysis/fix"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"
)

// notCompared names, as "Type.field", the fields that resultDiff does not walk, each with the
// reason. Every other field of Result and of everything it holds is compared, so a field added
// later is compared without touching this file; one that cannot be compared (a func, a
// channel) fails TestResultDiffCoversEveryField until it is listed here or handled. Type names
// carry no package, so the list survives a type moving to another package.
var notCompared = map[string]string{
	"Result.engine": "the engine that made the result: an identity, compared as such by resultDiff " +
		"(walking it would compare the compiled policies with themselves)",
	"Document.Root": "the parse tree: a function of Text, which is compared, and released by Compact " +
		"on a result that the server keeps while a fresh Analyze still has it",
	"Document.mapper": "the document's line index: built lazily from Text, which is compared, and " +
		"released by Compact",
	"Object.Node": "the object's mapping in the parse tree: compared through Ref, Path and the " +
		"document's Text, and released by Compact",
	"DocResult.verdicts": "the rules' verdicts on the document's objects, a cache: Compact keeps " +
		"them only for the documents the last Reanalyze analysed, which Analyze never does; a " +
		"stale verdict shows in the findings, which are compared",
	"DocResult.edited": "whether the last Reanalyze analysed the document, which Analyze never " +
		"does: it only decides whether Compact keeps the tree",
	"Mapper.id": "an identity, for Mapper.EditedFrom: each Mapper of a whole text has its own",
	"Mapper.edits": "the Replaces that made the Mapper, if any did: which Analyze, given a text, " +
		"never knows; what they imply about the text is compared through the text",
	"Mapper.ascii": "a fast-path hint: Mapper.Replace keeps it false once the text had a non-ASCII " +
		"character rather than scan the whole text per keystroke, and conversions agree either way; " +
		"resultDiff checks that it is never true for a text that is not ASCII",
}

// resultDiff describes the first difference between got and want, field by field through
// everything they hold, or returns "" when they are equal. Pointers are compared by what
// they point to, not by address: a reused document is a different DocResult than a fresh one.
func resultDiff(got, want *Result) string {
	if got.engine != want.engine {
		return "engine: the results come from different engines"
	}
	if got.Mapper != nil && want.Mapper != nil {
		// by reflection, so that this compiles wherever Mapper lives
		if ascii := func(m *yamldoc.Mapper) bool { return reflect.ValueOf(m).Elem().FieldByName("ascii").Bool() }; ascii(got.Mapper) && !ascii(want.Mapper) {
			return "Mapper.ascii: true for a text that is not ASCII"
		}
	}
	w := walker{seen: map[[2]uintptr]bool{}}
	w.diff("", reflect.ValueOf(got).Elem(), reflect.ValueOf(want).Elem())
	return w.first
}

type walker struct {
	first string
	seen  map[[2]uintptr]bool // pointer pairs already under comparison: no cycle is walked twice
}

func (w *walker) fail(path string, format string, args ...any) {
	if w.first == "" {
		w.first = path + ": " + fmt.Sprintf(format, args...)
	}
}

func (w *walker) diff(path string, a, b reflect.Value) {
	if w.first != "" {
		return
	}
	if a.Type() != b.Type() {
		w.fail(path, "type %s, want %s", a.Type(), b.Type())
		return
	}
	switch a.Kind() {
	case reflect.Bool:
		if a.Bool() != b.Bool() {
			w.fail(path, "%v, want %v", a.Bool(), b.Bool())
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if a.Int() != b.Int() {
			w.fail(path, "%d, want %d", a.Int(), b.Int())
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if a.Uint() != b.Uint() {
			w.fail(path, "%d, want %d", a.Uint(), b.Uint())
		}
	case reflect.Float32, reflect.Float64:
		if a.Float() != b.Float() {
			w.fail(path, "%v, want %v", a.Float(), b.Float())
		}
	case reflect.String:
		if a.String() != b.String() {
			w.fail(path, "%q, want %q", clip(a.String()), clip(b.String()))
		}
	case reflect.Slice, reflect.Array:
		if a.Kind() == reflect.Slice && a.IsNil() != b.IsNil() && (a.Len() > 0 || b.Len() > 0) {
			w.fail(path, "nil %v, want nil %v", a.IsNil(), b.IsNil())
			return
		}
		if a.Len() != b.Len() {
			w.fail(path, "%d elements, want %d", a.Len(), b.Len())
			return
		}
		for i := range a.Len() {
			w.diff(fmt.Sprintf("%s[%d]", path, i), a.Index(i), b.Index(i))
		}
	case reflect.Map:
		if a.Len() != b.Len() {
			w.fail(path, "%d entries, want %d", a.Len(), b.Len())
			return
		}
		for it := a.MapRange(); it.Next(); {
			other := b.MapIndex(it.Key())
			if !other.IsValid() {
				w.fail(path, "key %v, not wanted", it.Key())
				return
			}
			w.diff(fmt.Sprintf("%s[%v]", path, it.Key()), it.Value(), other)
		}
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			if a.IsNil() != b.IsNil() {
				w.fail(path, "nil %v, want nil %v", a.IsNil(), b.IsNil())
			}
			return
		}
		if a.Kind() == reflect.Pointer {
			pair := [2]uintptr{a.Pointer(), b.Pointer()}
			if w.seen[pair] {
				return
			}
			w.seen[pair] = true
		}
		w.diff(path, a.Elem(), b.Elem())
	case reflect.Struct:
		for i := range a.NumField() {
			f := a.Type().Field(i)
			if _, skip := notCompared[a.Type().Name()+"."+f.Name]; skip {
				continue
			}
			w.diff(strings.TrimPrefix(path+"."+f.Name, "."), a.Field(i), b.Field(i))
		}
	default: // func, chan, unsafe pointer: no meaningful equality
		w.fail(path, "a %s cannot be compared: handle it in resultDiff or list it in notCompared", a.Kind())
	}
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// Every entry of notCompared names a field that exists (a stale entry would hide a renamed
// field from the comparison), and resultDiff notices a change in each kind of field it walks.
func TestResultDiffCoversEveryField(t *testing.T) {
	fields := map[string]bool{}
	var collect func(reflect.Type)
	collect = func(typ reflect.Type) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice || typ.Kind() == reflect.Array || typ.Kind() == reflect.Map {
			typ = typ.Elem()
		}
		if typ.Kind() != reflect.Struct || fields[typ.Name()] {
			return
		}
		fields[typ.Name()] = true
		for i := range typ.NumField() {
			f := typ.Field(i)
			fields[typ.Name()+"."+f.Name] = true
			if _, skip := notCompared[typ.Name()+"."+f.Name]; !skip {
				collect(f.Type)
			}
		}
	}
	collect(reflect.TypeFor[Result]())
	for name := range notCompared {
		if !fields[name] {
			t.Errorf("notCompared lists %s, which Result does not hold", name)
		}
	}

	e := newTestEngine(t, Config{})
	text := "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostPID: true # kube-policy-ls ignore host-pid -- agent\n  hostIPC: true\n  containers: [{name: c, image: x}]\n---\nbad: [\n"
	fresh := func() *Result {
		res, err := e.Analyze(context.Background(), Input{Path: "f.yaml", Text: text}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if d := resultDiff(fresh(), fresh()); d != "" {
		t.Fatalf("two analyses of one text differ: %s", d)
	}
	for name, change := range map[string]func(r *Result){
		"Path":                 func(r *Result) { r.Path = "g.yaml" },
		"Objects":              func(r *Result) { r.Objects++ },
		"Skipped":              func(r *Result) { r.Skipped = true },
		"Mapper":               func(r *Result) { r.Mapper = yamldoc.NewMapper(text + "\n") },
		"Findings[0].Message":  func(r *Result) { r.Findings[0].Message += "!" },
		"Findings[0].Fix":      func(r *Result) { r.Findings[0].Fix = append(r.Findings[0].Fix, fix.Op{Op: "remove"}) },
		"Suppressed[0].Reason": func(r *Result) { r.Suppressed[0].Suppressed = &Suppression{By: "comment", Reason: "other"} },
		"PolicyErrors":         func(r *Result) { r.PolicyErrors = append(r.PolicyErrors, PolicyError{Msg: "x"}) },
		"Docs[0].Doc.Line": func(r *Result) {
			d := *r.Docs[0].Doc
			d.Line++
			r.Docs[0] = &DocResult{Doc: &d, Objects: r.Docs[0].Objects}
		},
		"Docs[0].Objects[0].Ref": func(r *Result) { r.Docs[0].Objects[0].Ref.Name = "q" },
		"Docs[0].Suppressed":     func(r *Result) { r.Docs[0].Suppressed = nil },
		"Docs[1].Doc.Err": func(r *Result) {
			r.Docs[1].Doc.Err = &yamldoc.SyntaxError{Msg: "other", Range: r.Docs[1].Doc.Err.Range}
		},
		"Docs[1].Err": func(r *Result) { r.Docs[1].Err = fmt.Errorf("evaluation failed") },
	} {
		got := fresh()
		change(got)
		if d := resultDiff(got, fresh()); d == "" {
			t.Errorf("a change of %s went unnoticed", name)
		} else if !strings.HasPrefix(d, strings.SplitN(name, "[", 2)[0]) {
			t.Errorf("a change of %s was reported as %s", name, d)
		}
	}
}
