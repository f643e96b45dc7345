package helm

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"helm.sh/helm/v4/pkg/chart/v2/loader"
)

// TestChartValuesAsLoader: the cached parse of every values.yaml of the shared charts (their
// subcharts' too) is the loader's, and each call returns a copy of its own.
func TestChartValuesAsLoader(t *testing.T) {
	n := 0
	err := filepath.WalkDir(sharedCharts, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.Name() != "values.yaml" {
			return err
		}
		text, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		want, err := loader.LoadValues(bytes.NewReader(text))
		if err != nil {
			return err
		}
		first, ok := chartValues(text)
		second, ok2 := chartValues(text)
		if !ok || !ok2 || !reflect.DeepEqual(first, want) || !reflect.DeepEqual(second, want) {
			t.Errorf("%s: the cached parse differs from the loader's", p)
		}
		first["mutated"] = true
		if third, _ := chartValues(text); third["mutated"] != nil {
			t.Errorf("%s: a change to one copy reached the cache", p)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Skipf("SKIP: no values.yaml under %s", sharedCharts)
	}
	if _, ok := chartValues([]byte("a: [")); ok {
		t.Error("a values.yaml that does not parse was accepted")
	}
}

// TestRenderAfterOtherValues: a render with other values in between (which Helm merges into
// its copy of the chart's values) gives the same manifests as the first.
func TestRenderAfterOtherValues(t *testing.T) {
	for _, dir := range sharedChartDirs(t) {
		name := filepath.Base(dir)
		overlay, ok := insecureValues[name]
		if !ok {
			continue
		}
		file := filepath.Join(t.TempDir(), "insecure.yaml")
		if err := os.WriteFile(file, []byte(overlay), 0o644); err != nil {
			t.Fatal(err)
		}
		first, err := RenderPlain(context.Background(), dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Render(context.Background(), dir, Options{ValuesFiles: []string{file}}); err != nil {
			t.Fatal(err)
		}
		again, err := RenderPlain(context.Background(), dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(first, again) {
			t.Errorf("%s: the render changed after one with other values", name)
		}
	}
}

// TestCheckAgainAsCheck: checking a render with the insecure values after one with the
// defaults (the unchanged documents taken over) finds and places what a fresh check does.
func TestCheckAgainAsCheck(t *testing.T) {
	e := defaultEngine(t)
	for _, dir := range sharedChartDirs(t) {
		name := filepath.Base(dir)
		overlay, ok := insecureValues[name]
		if !ok {
			continue
		}
		file := filepath.Join(t.TempDir(), "insecure.yaml")
		if err := os.WriteFile(file, []byte(overlay), 0o644); err != nil {
			t.Fatal(err)
		}
		first, err := Analyze(context.Background(), dir, Options{}, e)
		if err != nil {
			t.Fatal(err)
		}
		opts := Options{ValuesFiles: []string{file}}
		again, err := AnalyzeAgain(context.Background(), dir, opts, e, first)
		if err != nil {
			t.Fatal(err)
		}
		fresh, err := Analyze(context.Background(), dir, opts, e)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := placedLines(again.Findings), placedLines(fresh.Findings); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: after an earlier check %d findings, fresh %d:\n%v\nwant\n%v", name, len(got), len(want), got, want)
		}
		if len(fresh.Findings) <= len(first.Findings) {
			t.Errorf("%s: the insecure values add no finding (%d, %d)", name, len(first.Findings), len(fresh.Findings))
		}
	}
}

func placedLines(ps []Placed) []string {
	var out []string
	for _, p := range ps {
		line := fmt.Sprintf("%s %s %+v %s fixable=%v", p.Rule, p.File, p.Span, p.Message, p.Fixable)
		if p.Values != nil {
			line += fmt.Sprintf(" values=%s:%d:%d %s guard=%v", p.Values.File, p.Values.Line, p.Values.Column, p.Values.Path, p.Guard)
		}
		out = append(out, line)
	}
	return out
}
