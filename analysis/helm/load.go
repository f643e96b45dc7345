package helm

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/loader/archive"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/ignore"
)

// maxChartBytes bounds what one chart, its subcharts included, may hold in memory.
const maxChartBytes = 64 << 20

// ReadFunc reads a file of a chart: the disk, or the editor's unsaved buffer of it.
type ReadFunc func(path string) ([]byte, error)

// loaded is a chart read from a directory, with where each of its files came from.
type loaded struct {
	chart *chart.Chart
	// paths maps every file of the chart tree (templates and raw files, subcharts included)
	// to its absolute path; files of a packaged subchart map to the .tgz.
	paths map[*common.File]string
	// texts are the template texts as read, by absolute path, before any instrumentation.
	texts map[string][]byte
	// unsaved are absolute paths of files open in an editor, which may not exist on disk yet.
	unsaved []string
}

// dirOf returns the directory of a loaded chart (or of a copy Helm made of it for an alias).
func (l *loaded) dirOf(c *chart.Chart) string {
	for _, f := range c.Raw {
		if f.Name == "Chart.yaml" {
			if p, ok := l.paths[f]; ok {
				return filepath.Dir(p)
			}
		}
	}
	return ""
}

// loadChart reads the chart in dir and the subcharts in its charts/ (directories and .tgz
// archives), never a repository. rewrite, when set, replaces the text of each template as
// it is read (instrumentation). unsaved are files open in an editor: those under a chart's
// templates/ that are not on disk are read too, as if they were.
func loadChart(dir string, read ReadFunc, unsaved []string, rewrite func(path string, text []byte) ([]byte, error)) (*loaded, error) {
	l := &loaded{paths: map[*common.File]string{}, texts: map[string][]byte{}, unsaved: unsaved}
	budget := int64(maxChartBytes)
	c, err := l.loadDir(dir, read, rewrite, &budget, map[string]bool{})
	if err != nil {
		return nil, err
	}
	l.chart = c
	return l, nil
}

func (l *loaded) loadDir(dir string, read ReadFunc, rewrite func(string, []byte) ([]byte, error), budget *int64, active map[string]bool) (*chart.Chart, error) {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, &Error{File: dir, Msg: "reading chart directory", Err: err}
	}
	if active[real] {
		return nil, &Error{File: dir, Msg: "symbolic link loop in the chart's directories"}
	}
	active[real] = true
	defer delete(active, real)

	rules := ignore.Empty()
	if text, err := read(filepath.Join(dir, ".helmignore")); err == nil {
		if rules, err = ignore.Parse(bytes.NewReader(text)); err != nil {
			return nil, &Error{File: filepath.Join(dir, ".helmignore"), Msg: "reading .helmignore", Err: err}
		}
	}
	rules.AddDefaults()

	var own []*archive.BufferedFile
	var subs []string // charts/ entries, directories and archives
	// take reads the file at p, r relative to dir, into own.
	take := func(p, r string) error {
		data, err := read(p)
		if err != nil {
			return &Error{File: p, Msg: "reading chart file", Err: err}
		}
		if *budget -= int64(len(data)); *budget < 0 {
			return &Error{File: p, Msg: fmt.Sprintf("chart is larger than %d MiB: not rendered", maxChartBytes>>20)}
		}
		if strings.HasPrefix(r, "templates/") {
			l.texts[p] = data
			if rewrite != nil {
				if data, err = rewrite(p, data); err != nil {
					return err
				}
			}
		}
		own = append(own, &archive.BufferedFile{Name: r, Data: data})
		return nil
	}
	var walk func(abs, rel string) error
	walk = func(abs, rel string) error {
		entries, err := os.ReadDir(abs)
		if err != nil {
			return &Error{File: abs, Msg: "reading chart directory", Err: err}
		}
		for _, e := range entries {
			p, r := filepath.Join(abs, e.Name()), path.Join(rel, e.Name())
			info, err := os.Stat(p) // follows symbolic links, as Helm does
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					continue // a dangling link
				}
				return &Error{File: p, Msg: "reading chart file", Err: err}
			}
			if rules.Ignore(r, info) {
				continue
			}
			if r == "charts" && info.IsDir() {
				subs, err = chartEntries(p)
				if err != nil {
					return err
				}
				continue
			}
			if info.IsDir() {
				realSub, err := filepath.EvalSymlinks(p)
				if err != nil {
					return &Error{File: p, Msg: "reading chart directory", Err: err}
				}
				if active[realSub] || strings.HasPrefix(real+string(filepath.Separator), realSub+string(filepath.Separator)) {
					return &Error{File: p, Msg: "symbolic link loop in the chart's directories"}
				}
				active[realSub] = true
				err = walk(p, r)
				delete(active, realSub)
				if err != nil {
					return err
				}
				continue
			}
			if !info.Mode().IsRegular() {
				continue
			}
			if err := take(p, r); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(dir, ""); err != nil {
		return nil, err
	}
	for _, p := range l.unsavedTemplates(dir, rules) {
		rel, _ := filepath.Rel(dir, p) // under dir: unsavedTemplates checked
		if err := take(p, filepath.ToSlash(rel)); err != nil {
			return nil, err
		}
	}
	// values.yaml is parsed through the cache (values_cache.go); one that does not parse is
	// left to the loader, whose error is placed.
	var values *archive.BufferedFile
	var parsed map[string]any
	if i := slices.IndexFunc(own, func(f *archive.BufferedFile) bool { return f.Name == "values.yaml" }); i >= 0 {
		if v, ok := chartValues(own[i].Data); ok {
			values, parsed = own[i], v
			own = slices.Delete(own, i, i+1)
		}
	}
	c, err := loader.LoadFiles(own)
	if err != nil {
		return nil, l.placeLoadError(dir, read, err)
	}
	if values != nil {
		c.Raw = append(c.Raw, &common.File{Name: values.Name, Data: values.Data})
		c.Values = parsed
	}
	l.note(c, dir)
	for _, sub := range subs {
		var sc *chart.Chart
		if strings.HasSuffix(sub, ".tgz") {
			data, err := read(sub)
			if err != nil {
				return nil, &Error{File: sub, Msg: "reading packaged subchart", Err: err}
			}
			if *budget -= int64(len(data)); *budget < 0 {
				return nil, &Error{File: sub, Msg: fmt.Sprintf("chart is larger than %d MiB: not rendered", maxChartBytes>>20)}
			}
			if sc, err = loader.LoadArchive(bytes.NewReader(data)); err != nil {
				return nil, &Error{File: sub, Msg: "loading packaged subchart", Err: err}
			}
			l.noteArchive(sc, sub)
		} else if sc, err = l.loadDir(sub, read, rewrite, budget, active); err != nil {
			return nil, err
		}
		c.AddDependency(sc)
	}
	return c, nil
}

// chartEntries lists the subcharts in a charts/ directory as Helm sees them: directories and
// .tgz archives, skipping names that start with "_" or ".".
func chartEntries(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, &Error{File: dir, Msg: "reading charts/", Err: err}
	}
	var out []string
	for _, e := range entries {
		if strings.IndexAny(e.Name(), "_.") == 0 {
			continue
		}
		p := filepath.Join(dir, e.Name())
		info, err := os.Stat(p)
		if err != nil {
			continue
		}
		if info.IsDir() || strings.HasSuffix(e.Name(), ".tgz") {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out, nil
}

func (l *loaded) note(c *chart.Chart, dir string) {
	for _, f := range c.Raw {
		l.paths[f] = filepath.Join(dir, filepath.FromSlash(f.Name))
	}
	for _, f := range c.Templates {
		l.paths[f] = filepath.Join(dir, filepath.FromSlash(f.Name))
	}
}

func (l *loaded) noteArchive(c *chart.Chart, archive string) {
	for _, f := range c.Raw {
		l.paths[f] = archive
	}
	for _, f := range c.Templates {
		l.paths[f] = archive
	}
	for _, d := range c.Dependencies() {
		l.noteArchive(d, archive)
	}
}

// placeLoadError turns Helm's loader error into one placed on the file at fault: Chart.yaml,
// values.yaml or Chart.lock, at the line its YAML error names.
func (l *loaded) placeLoadError(dir string, read ReadFunc, err error) error {
	msg := err.Error()
	for _, name := range []string{"Chart.yaml", "values.yaml", "Chart.lock", "requirements.yaml"} {
		if !strings.Contains(msg, name) {
			continue
		}
		file := filepath.Join(dir, name)
		if _, statErr := os.Stat(file); statErr != nil && name == "Chart.yaml" {
			return &Error{File: file, Msg: "the chart has no Chart.yaml", Err: err}
		}
		return &Error{File: file, Line: yamlErrorLine(msg), Msg: "loading the chart", Err: err}
	}
	return &Error{File: filepath.Join(dir, "Chart.yaml"), Msg: "loading the chart", Err: err}
}
