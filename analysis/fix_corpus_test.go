package analysis

import (
	"context"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aymanbagabas/go-udiff"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/fix"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"
)

// The fix properties, checked on every fixable finding of the corpus (SPEC.md section 8):
// applying a finding's fix leaves the file parseable, makes that finding disappear, adds no
// other finding, keeps every comment, adds no tab and changes no line outside the edited
// object; fix-all on each file does the same for all its findings at once and reaches a fixed
// point in one pass.

// fixKey identifies a finding across edits: ranges and list indexes move, these do not.
func fixKey(f Finding) string {
	return fmt.Sprintf("%s|%d|%s|%v|%s", f.Rule, f.Doc, f.Object, f.Item, f.Message)
}

func fixKeys(fs []Finding) map[string]int {
	m := map[string]int{}
	for _, f := range fs {
		m[fixKey(f)]++
	}
	return m
}

// fileComments returns every comment of the parsed documents of res, with its count.
func fileComments(res *Result) map[string]int {
	m := map[string]int{}
	for _, d := range res.Docs {
		if d.Doc.Root == nil {
			continue
		}
		for _, c := range d.Doc.Comments(yamldoc.Range{Start: 0, End: len(d.Doc.Text)}, d.Doc.Root) {
			m[strings.TrimSpace(c)]++
		}
	}
	return m
}

// lostComments lists the comments of before that after does not have as often.
func lostComments(before, after map[string]int) []string {
	var lost []string
	for c, n := range before {
		if after[c] < n {
			lost = append(lost, c)
		}
	}
	sort.Strings(lost)
	return lost
}

// newFindings lists the findings of after that before did not have (as often), except gone.
func newFindings(before, after []Finding, gone string) []string {
	old := fixKeys(before)
	if gone != "" {
		old[gone]--
	}
	var extra []string
	for k, n := range fixKeys(after) {
		if n > old[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	return extra
}

// objectLines is the file range of whole lines holding f's object.
func objectLines(res *Result, f Finding) yamldoc.Range {
	d := res.Docs[f.Doc].Doc
	obj := d.Root
	if len(f.Item) > 0 {
		steps := yamldoc.Walk(d.Root, f.Item)
		obj = steps[len(steps)-1].Node
	}
	r := d.NodeRange(obj).Shift(d.Offset)
	m := res.Mapper
	return yamldoc.Range{Start: m.LineStart(m.LineOf(r.Start)), End: m.LineEnd(m.LineOf(max(r.Start, r.End-1)))}
}

// checkFixedText checks what every fix must keep, returning the problems found.
func checkFixedText(before, after *Result, edits []fix.Edit) []string {
	var problems []string
	for _, f := range after.Findings {
		if f.Rule == RuleYAMLSyntax {
			problems = append(problems, "no longer parses: "+f.Message)
		}
	}
	if lost := lostComments(fileComments(before), fileComments(after)); len(lost) > 0 {
		problems = append(problems, fmt.Sprintf("lost comments %q", lost))
	}
	for _, e := range edits {
		if strings.Contains(e.NewText, "\t") {
			problems = append(problems, fmt.Sprintf("inserts a tab: %q", e.NewText))
		}
	}
	return problems
}

type fixCorpusStats struct {
	mu       sync.Mutex
	perRule  map[string]*[4]int // findings, fixed, refused, failed
	refusals map[string]int
	failures []string
	files    int
	fixAll   [3]int // files fixed, findings fixed, findings refused
}

func (s *fixCorpusStats) rule(id string, col int) {
	if s.perRule[id] == nil {
		s.perRule[id] = &[4]int{}
	}
	s.perRule[id][col]++
}

func (s *fixCorpusStats) fail(format string, args ...any) {
	s.failures = append(s.failures, fmt.Sprintf(format, args...))
}

func TestFixCorpusProperties(t *testing.T) {
	files := corpusFiles(t)
	configs := []Config{{}, {KubernetesVersion: "1.29"}}
	if testing.Short() {
		// A tenth of the corpus, latest Kubernetes only.
		for i, p := range slices.Sorted(maps.Keys(files)) {
			if i%10 != 0 {
				delete(files, p)
			}
		}
		configs = configs[:1]
	}
	for _, cfg := range configs {
		t.Run("kubernetes-"+cmpOr(cfg.KubernetesVersion, "latest"), func(t *testing.T) {
			e := newTestEngine(t, cfg)
			st := &fixCorpusStats{perRule: map[string]*[4]int{}, refusals: map[string]int{}}
			paths := slices.Sorted(maps.Keys(files))
			next := make(chan string)
			var wg sync.WaitGroup
			for range runtime.GOMAXPROCS(0) {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for p := range next {
						checkFileFixes(t, e, p, files[p], st)
					}
				}()
			}
			for _, p := range paths {
				next <- p
			}
			close(next)
			wg.Wait()
			var total [4]int
			var lines []string
			for _, id := range slices.Sorted(maps.Keys(st.perRule)) {
				c := st.perRule[id]
				for i := range total {
					total[i] += c[i]
				}
				lines = append(lines, fmt.Sprintf("  %-28s findings %5d  fixed %5d  refused %4d  failed %d", id, c[0], c[1], c[2], c[3]))
			}
			t.Logf("per finding, %d files with fixable findings:\n%s\n  %-28s findings %5d  fixed %5d  refused %4d  failed %d",
				st.files, strings.Join(lines, "\n"), "total", total[0], total[1], total[2], total[3])
			for _, r := range slices.Sorted(maps.Keys(st.refusals)) {
				t.Logf("  refused %4d: %s", st.refusals[r], r)
			}
			t.Logf("fix-all: %d files, %d findings fixed, %d refused", st.fixAll[0], st.fixAll[1], st.fixAll[2])
			if total[1] == 0 {
				t.Error("no fix was applied: the corpus should have fixable findings")
			}
			slices.Sort(st.failures)
			for i, f := range st.failures {
				if i == 50 {
					t.Errorf("... and %d more failures", len(st.failures)-50)
					break
				}
				t.Error(f)
			}
		})
	}
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// refusalReason turns a fix error into a category for the report, and says whether it is an
// expected refusal: an edit through an alias or a merge key would change other places too.
func refusalReason(err error) (string, bool) {
	msg := err.Error()
	for _, k := range []string{"alias", "merge key"} {
		if strings.Contains(msg, k) {
			return k, true
		}
	}
	return msg, false
}

func checkFileFixes(t *testing.T, e *Engine, path, text string, st *fixCorpusStats) {
	ctx := context.Background()
	res, err := e.Analyze(ctx, Input{Path: path, Text: text}, nil)
	if err != nil {
		t.Error(err)
		return
	}
	var fixable []Finding
	for _, f := range res.Findings {
		if f.Fixable() {
			fixable = append(fixable, f)
		}
	}
	if len(fixable) == 0 {
		return
	}
	// Each finding alone.
	type outcome struct {
		rule    string
		col     int
		refusal string
		failure string
	}
	var outs []outcome
	for _, f := range fixable {
		o := outcome{rule: f.Rule}
		edits, err := res.FixEdits(f)
		switch {
		case err != nil:
			reason, expected := refusalReason(err)
			o.col, o.refusal = 2, reason
			if !expected {
				o.col, o.failure = 3, fmt.Sprintf("%s: %s %q: fix refused: %v", path, f.Rule, f.Message, err)
			}
		case len(edits) == 0:
			o.col, o.failure = 3, fmt.Sprintf("%s: %s %q: the fix changes nothing", path, f.Rule, f.Message)
		default:
			o.col = 1
			if problems := checkOneFix(ctx, e, res, f, edits); len(problems) > 0 {
				o.col, o.failure = 3, fmt.Sprintf("%s: fixing %s %q (%s): %s", path, f.Rule, f.Message, res.FixTitle(f), strings.Join(problems, "; "))
			}
		}
		outs = append(outs, o)
	}
	// Fix-all on the file: the batched rounds give what one operation at a time gives.
	rep := res.FixAll(nil)
	seq := res.fixAll(nil, false)
	batchedText, err1 := fix.ApplyEdits(text, rep.Edits)
	seqText, err2 := fix.ApplyEdits(text, seq.Edits)
	if err1 != nil || err2 != nil || batchedText != seqText || seq.Fixed != rep.Fixed || len(seq.Failed) != len(rep.Failed) {
		st.mu.Lock()
		st.fail("%s: fix-all in rounds differs from one operation at a time:\n%s", path, udiff.Unified("one at a time", "rounds", seqText, batchedText))
		st.mu.Unlock()
	}
	var allProblems []string
	after := res
	if len(rep.Edits) > 0 {
		fixed, err := fix.ApplyEdits(text, rep.Edits)
		if err != nil {
			allProblems = append(allProblems, err.Error())
		} else if after, err = e.Analyze(ctx, Input{Path: path, Text: fixed}, res); err != nil {
			allProblems = append(allProblems, err.Error())
		}
	}
	for _, ff := range rep.Failed {
		if _, expected := refusalReason(ff.Err); !expected {
			allProblems = append(allProblems, fmt.Sprintf("refused %s: %v", fixKey(ff.Finding), ff.Err))
		}
	}
	if len(allProblems) == 0 && after != res {
		allProblems = append(allProblems, checkFixedText(res, after, rep.Edits)...)
		failedKeys := map[string]bool{}
		for _, ff := range rep.Failed {
			failedKeys[fixKey(ff.Finding)] = true
		}
		var remaining []string
		for _, f := range after.Findings {
			if f.Fixable() && !failedKeys[fixKey(f)] {
				remaining = append(remaining, fixKey(f))
			}
		}
		if len(remaining) > 0 {
			allProblems = append(allProblems, fmt.Sprintf("fixable findings remain: %q", remaining))
		}
		keep := slices.DeleteFunc(slices.Clone(res.Findings), func(f Finding) bool { return f.Fixable() && !failedKeys[fixKey(f)] })
		if extra := newFindings(keep, after.Findings, ""); len(extra) > 0 {
			allProblems = append(allProblems, fmt.Sprintf("new findings %q", extra))
		}
		if again := after.FixAll(nil); len(again.Edits) > 0 {
			allProblems = append(allProblems, fmt.Sprintf("not a fixed point: a second fix-all makes %d edits", len(again.Edits)))
		}
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	st.files++
	for _, o := range outs {
		st.rule(o.rule, 0)
		st.rule(o.rule, o.col)
		if o.refusal != "" {
			st.refusals[o.rule+": "+o.refusal]++
		}
		if o.failure != "" {
			st.fail("%s", o.failure)
		}
	}
	st.fixAll[0]++
	st.fixAll[1] += rep.Fixed
	st.fixAll[2] += len(rep.Failed)
	if len(allProblems) > 0 {
		st.fail("%s: fix-all: %s", path, strings.Join(allProblems, "; "))
	}
}

// checkOneFix applies one finding's edits and checks the properties.
func checkOneFix(ctx context.Context, e *Engine, res *Result, f Finding, edits []fix.Edit) []string {
	text := res.Mapper.Text()
	fixed, err := fix.ApplyEdits(text, edits)
	if err != nil {
		return []string{err.Error()}
	}
	after, err := e.Analyze(ctx, Input{Path: res.Path, Text: fixed}, res)
	if err != nil {
		return []string{err.Error()}
	}
	problems := checkFixedText(res, after, edits)
	if len(problems) > 0 {
		return problems
	}
	key := fixKey(f)
	if fixKeys(after.Findings)[key] >= fixKeys(res.Findings)[key] {
		problems = append(problems, "the finding is still there")
	}
	if extra := newFindings(res.Findings, after.Findings, key); len(extra) > 0 {
		problems = append(problems, fmt.Sprintf("new findings %q", extra))
	}
	obj := objectLines(res, f)
	tail := len(text) - obj.End
	if fixed[:obj.Start] != text[:obj.Start] || len(fixed) < tail || fixed[len(fixed)-tail:] != text[obj.End:] {
		problems = append(problems, "changes lines outside the object")
	}
	return problems
}
