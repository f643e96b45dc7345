package helm

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestRenderUnsavedTemplates: files open in an editor but not on disk are rendered when they
// are under the chart's templates/ (new directories included) and .helmignore keeps them;
// others (a file in the chart's root, one .helmignore excludes, one of a subchart that does
// not exist) are not, and a file both on disk and open is rendered once.
func TestRenderUnsavedTemplates(t *testing.T) {
	t.Parallel()
	pod := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}\n"
	dir := writeChart(t, map[string]string{
		"Chart.yaml":         chartYAML,
		".helmignore":        "templates/skip/\n*.bak\n",
		"templates/pod.yaml": pod,
	})
	buffers := map[string]string{}
	for _, rel := range []string{"templates/new.yaml", "templates/deep/er/new.yaml", "templates/pod.yaml",
		"root.yaml", "templates/skip/new.yaml", "templates/new.bak", "charts/sub/templates/new.yaml"} {
		buffers[filepath.Join(dir, filepath.FromSlash(rel))] = pod
	}
	var unsaved []string
	for p := range buffers {
		unsaved = append(unsaved, p)
	}
	read := func(p string) ([]byte, error) {
		if text, ok := buffers[p]; ok {
			return []byte(text), nil
		}
		return os.ReadFile(p)
	}
	c, err := Render(context.Background(), dir, Options{Read: read, Unsaved: unsaved})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range c.Manifests {
		got = append(got, m.Name)
	}
	want := []string{"demo/templates/deep/er/new.yaml", "demo/templates/new.yaml", "demo/templates/pod.yaml"}
	if !slices.Equal(got, want) {
		t.Errorf("rendered %v, want %v", got, want)
	}
	plain, err := RenderPlain(context.Background(), dir, Options{Read: read, Unsaved: unsaved})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := plain["demo/templates/new.yaml"]; !ok || len(plain) != 3 {
		t.Errorf("RenderPlain gave %d manifests, want the same 3 as Render", len(plain))
	}
}
