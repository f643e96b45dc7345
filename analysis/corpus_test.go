package analysis

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kube-policy-ls/kube-policy-ls/internal/shareddata"
)

// corpusEntry is one row of ../shared/corpus/INDEX.tsv.
type corpusEntry struct {
	file, category, parseError string
	yamlV3OK                   bool
}

func corpusIndex(t *testing.T) []corpusEntry {
	t.Helper()
	f, err := os.Open(filepath.Join(shareddata.Path(t, "corpus/INDEX.tsv"), "corpus", "INDEX.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []corpusEntry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for first := true; sc.Scan(); first = false {
		cols := strings.Split(sc.Text(), "\t")
		if first || len(cols) < 10 {
			continue
		}
		e := corpusEntry{file: cols[0], category: cols[1], yamlV3OK: cols[9] == "True"}
		if len(cols) > 10 {
			e.parseError = cols[10]
		}
		out = append(out, e)
	}
	return out
}

var errorLine = regexp.MustCompile(`line (\d+): `)

// TestCorpusRobustness checks every corpus file: no panic, no hang, syntax errors only where
// the file is invalid and at the line yaml.v3 names, and Helm templates as one notice.
func TestCorpusRobustness(t *testing.T) {
	t.Parallel()
	root := filepath.Join(shareddata.Path(t, "corpus"), "corpus")
	entries := corpusIndex(t)
	if len(entries) < 1100 {
		t.Fatalf("INDEX.tsv lists %d files", len(entries))
	}
	e := newTestEngine(t, Config{})
	counts := map[string]int{}
	for _, entry := range entries {
		data, err := os.ReadFile(filepath.Join(root, entry.file))
		if err != nil {
			t.Fatal(err)
		}
		res := analyzeWithin(t, e, entry.file, string(data), time.Minute)
		counts[entry.category]++
		var syntax, helm []Finding
		for _, f := range res.Findings {
			switch f.Rule {
			case RuleYAMLSyntax:
				syntax = append(syntax, f)
			case RuleHelmTemplate:
				helm = append(helm, f)
			}
			if f.Range.Start > f.Range.End || f.Range.End > len(data) {
				t.Errorf("%s: %s has range %v outside the file", entry.file, f.Rule, f.Range)
			}
			if f.Rule != RuleYAMLSyntax && f.Rule != RuleHelmTemplate && res.Mapper.LineOf(f.Range.Start) == 0 && f.Range.Start == 0 {
				t.Errorf("%s: %s points at the start of the file", entry.file, f.Rule)
			}
		}
		switch entry.category {
		case "helm":
			if len(helm) != 1 || len(res.Findings) != 1 {
				t.Errorf("%s: Helm template gave %d findings (%d notices), want exactly one notice", entry.file, len(res.Findings), len(helm))
			}
		case "invalid":
			if len(syntax) == 0 {
				t.Errorf("%s: invalid file (%s) gave no %s finding", entry.file, entry.parseError, RuleYAMLSyntax)
				continue
			}
			if m := errorLine.FindStringSubmatch(entry.parseError); m != nil {
				want, _ := strconv.Atoi(m[1])
				ok := false
				for _, f := range syntax {
					ok = ok || res.Mapper.LineOf(f.Range.Start)+1 == want
				}
				if !ok {
					t.Errorf("%s: %s at line %d, want line %d (%s)", entry.file, RuleYAMLSyntax, res.Mapper.LineOf(syntax[0].Range.Start)+1, want, entry.parseError)
				}
			}
		default:
			if entry.yamlV3OK && len(syntax) > 0 {
				t.Errorf("%s: valid file gave %s: %s", entry.file, RuleYAMLSyntax, syntax[0].Message)
			}
		}
	}
	t.Logf("checked %v files", counts)
}

// analyzeWithin fails the test if one file takes longer than limit: a hang, not a slow file.
func analyzeWithin(t *testing.T, e *Engine, path, text string, limit time.Duration) *Result {
	t.Helper()
	done := make(chan *Result, 1)
	go func() {
		res, err := e.Analyze(context.Background(), Input{Path: path, Text: text}, nil)
		if err != nil {
			t.Errorf("%s: %v", path, err)
		}
		done <- res
	}()
	select {
	case res := <-done:
		if res == nil {
			t.FailNow()
		}
		return res
	case <-time.After(limit):
		t.Fatalf("%s: analysis did not finish within %v", path, limit)
		return nil
	}
}
