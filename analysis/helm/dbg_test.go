package helm

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
)

func TestDebugCheck(t *testing.T) {
	e, err := analysis.NewEngine(context.Background(), analysis.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range sharedChartDirs(t) {
		c, err := Render(context.Background(), dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		ch, err := c.Check(context.Background(), e)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range ch.Findings {
			rel, _ := filepath.Rel(dir, f.At.File)
			v := ""
			if f.Values != nil {
				vf, _ := filepath.Rel(dir, f.Values.File)
				v = fmt.Sprintf("values %s %s:%d guard=%v", f.Values.Path, vf, f.Values.Line, f.Guard)
			}
			fmt.Printf("%s %s:%d via=%d [%s:%d] %s %v | %s\n", filepath.Base(dir), rel, f.At.Line, len(f.At.Via), filepath.Base(f.Manifest.Name), f.RenderedLine, f.Rule, f.Path, v)
		}
	}
}
