package analysis

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"
	"github.com/kube-policy-ls/kube-policy-ls/internal/shareddata"
)

// The engine projects while it converts YAML; the policy tests project OPA values
// (reads.Set.Project). Both must give the same input, on every object of the examples and of
// a spread of the corpus, for every rule group of the all profile.
func TestProjectionWhileConvertingMatchesProjectionOfValue(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, Config{Profile: "all"})
	files, _ := filepath.Glob(filepath.Join("..", "examples", "*.yaml"))
	if shared := shareddata.Optional(t, "corpus"); shared != "" {
		corpus, _ := filepath.Glob(filepath.Join(shared, "corpus", "*", "*.yaml"))
		for i, p := range corpus {
			if i%7 == 0 {
				files = append(files, p)
			}
		}
	}
	compared := 0
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range yamldoc.SplitDocuments(string(data)) {
			if d.Parse(); d.Root == nil {
				continue
			}
			for _, obj := range d.Objects() {
				set := e.rulesFor(obj.Ref.Kind)
				if set == nil || set.reads == nil {
					continue
				}
				whole, err := toValue(obj.Node)
				if err != nil {
					continue
				}
				got, err := toProjection(obj.Node, set.reads)
				if err != nil {
					t.Fatalf("%s: %s: %v", p, obj.Ref, err)
				}
				if want := set.reads.Project(whole); got.Compare(want) != 0 {
					t.Errorf("%s: %s: projected while converting:\n%v\nprojection of the value:\n%v", p, obj.Ref, got, want)
				}
				compared++
			}
		}
	}
	if compared < 10 {
		t.Errorf("only %d objects compared", compared)
	}
}
