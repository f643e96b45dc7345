package lsp

import (
	"maps"
	"os"
	"slices"
	"sync"
	"time"

	"go.lsp.dev/uri"

	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"
)

// memberReads reads an assembly's files for one check: the open members' texts as they were
// when the check started, else the disk; it records every text read, so that positions are
// converted and fixes computed on exactly that text.
type memberReads struct {
	open  map[string]openText // by absolute path
	since time.Time           // when the check started reading: a file modified after it changed

	mu      sync.Mutex
	read    map[string]string
	mappers map[string]*yamldoc.Mapper // over the texts read, by file: made when first asked
}

// openText is an open document's text and version when a check started.
type openText struct {
	text    string
	version int32
	uri     uri.URI
}

// ReadFile is the check's way to read a file.
func (r *memberReads) ReadFile(path string) ([]byte, error) {
	if o, ok := r.open[path]; ok {
		r.record(path, o.text)
		return []byte(o.text), nil
	}
	data, err := os.ReadFile(path)
	if err == nil {
		r.record(path, string(data))
	}
	return data, err
}

// openPaths returns the paths of the open members (some may exist only in the editor).
func (r *memberReads) openPaths() []string {
	return slices.Sorted(maps.Keys(r.open))
}

// has reports whether the check read the file at path.
func (r *memberReads) has(path string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.read[path]
	return ok
}

func (r *memberReads) record(path, text string) {
	r.mu.Lock()
	r.read[path] = text
	r.mu.Unlock()
}

// uriOf is the URI of a file the check read: the open document's, else the file's.
func (r *memberReads) uriOf(file string) uri.URI {
	if t, ok := r.open[file]; ok {
		return t.uri
	}
	return uri.File(file)
}

// text returns a file's text as the check read it (or would have), and the open document's
// version (nil when the file was not open).
func (r *memberReads) text(path string) (string, *int32, bool) {
	if o, ok := r.open[path]; ok {
		v := o.version
		return o.text, &v, true
	}
	r.mu.Lock()
	t, ok := r.read[path]
	r.mu.Unlock()
	if !ok {
		data, err := os.ReadFile(path)
		if err != nil {
			return "", nil, false
		}
		t = string(data)
	}
	return t, nil, true
}

// mapper returns a Mapper over a file's text as the check read it, and the open document's
// version (nil when the file was not open). Hover and code actions ask for it at every cursor
// move, so it is made once per file and check.
func (r *memberReads) mapper(path string) (*yamldoc.Mapper, *int32) {
	text, version, _ := r.text(path)
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.mappers[path]
	if m == nil {
		if r.mappers == nil {
			r.mappers = map[string]*yamldoc.Mapper{}
		}
		m = yamldoc.NewMapper(text)
		r.mappers[path] = m
	}
	return m, version
}

// assemblers are the kinds of assembly whose members they own, tried in order for a file.
var assemblers = []assembler{chartAssembler{}}
