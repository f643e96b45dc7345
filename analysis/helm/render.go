// Package helm renders Helm charts in-process, offline, and maps every byte of the rendered
// manifests back to the template node that wrote it and, where values decide it, to the
// values key that supplied it. It knows nothing of the language server or the CLI.
package helm

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"helm.sh/helm/v4/pkg/chart/common"
	commonutil "helm.sh/helm/v4/pkg/chart/common/util"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	"helm.sh/helm/v4/pkg/engine"
)

// DefaultTimeout bounds a render when Options.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// Options say how to render a chart: the keys of the configuration's helm: section and of
// check's flags.
type Options struct {
	ReleaseName string   // default "release-name", as helm template
	Namespace   string   // default "default"
	KubeVersion string   // e.g. "1.37"; default Helm's
	APIVersions []string // added to Helm's default set
	ValuesFiles []string // absolute paths, applied in order over the chart's values.yaml
	Set         []string // key=value pairs (helm --set syntax), applied last
	Read        ReadFunc // reads chart and values files; nil reads the disk
	// Unsaved are absolute paths of files open in an editor: a chart's template among them
	// that is not on disk yet is rendered too (read through Read).
	Unsaved []string
	Timeout time.Duration
}

func (o Options) read() ReadFunc {
	if o.Read != nil {
		return o.Read
	}
	return os.ReadFile
}

// Chart is one rendered chart.
type Chart struct {
	Root      string      // absolute directory of the chart
	Manifests []*Manifest // one per rendered template with output, sorted by Template
	values    *valueSources
	table     *nodeTable
	files     map[string]*lineIndex // template texts by absolute path
	library   map[string]bool       // directories of library charts
	writes    writeCounts           // for template fixes, computed on first use
}

// Manifest is the rendered output of one template.
type Manifest struct {
	Template string // absolute path of the template file
	Name     string // Helm's name: chart/templates/x.yaml (chart/charts/sub/templates/... for a subchart)
	Text     string // byte-identical to Helm's render
	scope    string // the values path of its chart from the root's: "" or "sub." ("a.b." nested)
	sm       *sourceMap
}

// Render renders the chart in root (an absolute directory), instrumented, and returns its
// manifests with their source maps. A chart that cannot be rendered gives an *Error placed
// at the file and line at fault.
func Render(ctx context.Context, root string, opts Options) (_ *Chart, err error) {
	defer func() {
		// Helm's loader and merging are not ours: a panic on a chart is that chart's error.
		if r := recover(); r != nil {
			err = &Error{File: filepath.Join(root, "Chart.yaml"), Msg: fmt.Sprintf("rendering the chart failed: %v", r)}
		}
	}()
	timeout := cmp.Or(opts.Timeout, DefaultTimeout)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	table := &nodeTable{}
	read := opts.read()
	l, err := loadChart(root, read, opts.Unsaved, func(path string, text []byte) ([]byte, error) {
		return table.instrument(path, text), nil
	})
	if err != nil {
		return nil, err
	}
	table.sort()
	top, vs, err := prepareValues(l, root, opts)
	if err != nil {
		return nil, err
	}
	st := &renderState{ctx: ctx, budget: maxOutputBytes}
	funcs := standIns()
	for k, v := range st.markerFuncs() {
		funcs[k] = v
	}
	out, err := engine.Engine{CustomTemplateFuncs: funcs}.RenderWithContext(ctx, l.chart, top)
	if err == nil && totalSize(out) > maxOutputBytes {
		err = st.stop(-1, fmt.Sprintf("rendered output is over the limit of %d MiB", maxOutputBytes>>20))
	}
	c := &Chart{Root: root, values: vs, table: table, files: map[string]*lineIndex{}, library: map[string]bool{}}
	for p, text := range l.texts {
		c.files[p] = newLineIndex(text)
	}
	if err != nil {
		if st.bound != nil {
			return nil, c.boundError(st.bound, root)
		}
		// The instrumented templates' lines are not the files': take the error from a
		// plain render, which fails the same way.
		if _, plainErr := RenderPlain(ctx, root, opts); plainErr != nil {
			return nil, plainErr
		}
		return nil, &Error{File: filepath.Join(root, "Chart.yaml"), Msg: "rendering the chart", Err: err}
	}
	names := templatePaths(l)
	for _, lib := range libraryDirs(l, l.chart) {
		c.library[lib] = true
	}
	for name, text := range out {
		if strings.HasSuffix(name, "NOTES.txt") || strings.TrimSpace(stripMarkers(text)) == "" {
			continue
		}
		stripped, sm := demark(strings.ReplaceAll(text, "<no value>", ""))
		c.Manifests = append(c.Manifests, &Manifest{Template: names[name], Name: name, Text: stripped, scope: scopeOf(name), sm: sm})
	}
	slices.SortFunc(c.Manifests, func(a, b *Manifest) int { return strings.Compare(a.Name, b.Name) })
	return c, nil
}

// RenderPlain renders the chart without instrumentation, as Helm would with the same stand-
// ins: Helm's template names to their output. Its errors carry Helm's file and line.
func RenderPlain(ctx context.Context, root string, opts Options) (map[string]string, error) {
	l, err := loadChart(root, opts.read(), opts.Unsaved, nil)
	if err != nil {
		return nil, err
	}
	top, _, err := prepareValues(l, root, opts)
	if err != nil {
		return nil, err
	}
	type result struct {
		out map[string]string
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := engine.Engine{CustomTemplateFuncs: standIns()}.RenderWithContext(ctx, l.chart, top)
		done <- result{out, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		return nil, &Error{File: filepath.Join(root, "Chart.yaml"), Msg: "rendering the chart", Err: ctx.Err()}
	}
	if r.err != nil {
		return nil, placeTemplateError(l, root, r.err)
	}
	for name, text := range r.out {
		r.out[name] = strings.ReplaceAll(text, "<no value>", "")
	}
	return r.out, nil
}

// prepareValues merges the values as helm template does, from fresh copies (Helm changes
// the maps it merges), processes the dependencies' conditions and tags, and checks that
// every enabled dependency is there.
func prepareValues(l *loaded, root string, opts Options) (common.Values, *valueSources, error) {
	vs, user, err := readValues(l, opts)
	if err != nil {
		return nil, nil, err
	}
	if err := chartutil.ProcessDependencies(l.chart, user); err != nil {
		return nil, nil, &Error{File: filepath.Join(root, "Chart.yaml"), Msg: "processing the chart's dependencies", Err: err}
	}
	if err := l.checkDependencies(l.chart, opts.read()); err != nil {
		return nil, nil, err
	}
	caps := common.DefaultCapabilities.Copy()
	if opts.KubeVersion != "" {
		kv, err := common.ParseKubeVersion(opts.KubeVersion)
		if err != nil {
			return nil, nil, &Error{File: filepath.Join(root, "Chart.yaml"), Msg: "reading kubeVersion " + opts.KubeVersion, Err: err}
		}
		caps.KubeVersion = *kv
	}
	caps.APIVersions = append(slices.Clone(caps.APIVersions), opts.APIVersions...)
	rel := common.ReleaseOptions{Name: cmp.Or(opts.ReleaseName, "release-name"), Namespace: cmp.Or(opts.Namespace, "default"), Revision: 1, IsInstall: true}
	top, err := commonutil.ToRenderValuesWithSchemaValidation(l.chart, user, rel, caps, true)
	if err != nil {
		return nil, nil, &Error{File: filepath.Join(root, "values.yaml"), Msg: "merging the values", Err: err}
	}
	if v, ok := top["Values"].(common.Values); ok {
		vs.merged = v
	}
	return top, vs, nil
}

// checkDependencies reports an enabled dependency of Chart.yaml that is not in charts/, on
// its entry in Chart.yaml.
func (l *loaded) checkDependencies(c *chart.Chart, read ReadFunc) error {
	have := map[string]bool{}
	for _, d := range c.Dependencies() {
		have[d.Name()] = true
	}
	for _, dep := range c.Metadata.Dependencies {
		if dep == nil || have[dep.Name] || (dep.Alias != "" && have[dep.Alias]) {
			continue
		}
		file := filepath.Join(l.dirOf(c), "Chart.yaml")
		line, col := dependencyEntry(read, file, dep.Name)
		return &Error{File: file, Line: line, Column: col, Msg: fmt.Sprintf("dependency %q is not in charts/ (run helm dependency build; charts are never fetched from a repository here)", dep.Name)}
	}
	for _, d := range c.Dependencies() {
		if err := l.checkDependencies(d, read); err != nil {
			return err
		}
	}
	return nil
}

// templatePaths maps Helm's template names to their files.
func templatePaths(l *loaded) map[string]string {
	out := map[string]string{}
	var walk func(c *chart.Chart)
	walk = func(c *chart.Chart) {
		for _, t := range c.Templates {
			out[path.Join(c.ChartFullPath(), t.Name)] = l.paths[t]
		}
		for _, d := range c.Dependencies() {
			walk(d)
		}
	}
	walk(l.chart)
	return out
}

func libraryDirs(l *loaded, c *chart.Chart) []string {
	var out []string
	if c.Metadata != nil && c.Metadata.Type == "library" {
		out = append(out, l.dirOf(c))
	}
	for _, d := range c.Dependencies() {
		out = append(out, libraryDirs(l, d)...)
	}
	return out
}

// scopeOf returns the values path of a template's chart, from Helm's name of the template.
func scopeOf(name string) string {
	parts := strings.Split(name, "/")
	var scope strings.Builder
	for i := 1; i+1 < len(parts); i++ {
		if parts[i] == "templates" {
			break
		}
		if parts[i] == "charts" {
			scope.WriteString(parts[i+1] + ".")
			i++
		}
	}
	return scope.String()
}

func totalSize(out map[string]string) int {
	n := 0
	for _, s := range out {
		n += len(s)
	}
	return n
}

// placeTemplateError places a render error at the template file and line Helm names.
func placeTemplateError(l *loaded, root string, err error) error {
	msg := err.Error()
	names := templatePaths(l)
	if name, line, col, ok := templateLocation(msg); ok {
		if file, known := names[name]; known {
			return &Error{File: file, Line: line, Column: col, Msg: cleanTemplateMessage(msg)}
		}
	}
	for name, file := range names {
		if strings.Contains(msg, name) {
			return &Error{File: file, Msg: cleanTemplateMessage(msg)}
		}
	}
	return &Error{File: filepath.Join(root, "Chart.yaml"), Msg: "rendering the chart", Err: err}
}

// boundError places a bound the instrumented render hit at the call site or loop that hit it.
func (c *Chart) boundError(b *boundError, root string) error {
	if n := c.table.node(b.node); n != nil {
		loc := c.location(n.file, n.pos)
		return &Error{File: loc.File, Line: loc.Line, Column: loc.Column, Msg: b.msg, Err: errBound}
	}
	return &Error{File: filepath.Join(root, "Chart.yaml"), Msg: b.msg, Err: errBound}
}

// IsBound reports whether err is a render stopped by a bound (time, size, recursion).
func IsBound(err error) bool { return errors.Is(err, errBound) }
