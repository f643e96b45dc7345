package lsp

import (
	"fmt"
	"strings"
	"testing"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"
)

// The engine's resource limits (SPEC.md section 2) as an editor meets them: a file over
// 10 MiB, more than 10,000 YAML documents, nesting deeper than 1,000 levels, aliases that
// expand past a bound, a line over 1 MiB, binary content. Each file gets exactly one
// diagnostic that says which limit, whether it was opened that way or one didChange took it
// there (the incremental path checks the limits on the changed bytes); the server keeps the
// client's text, answers requests meanwhile, and a change back gives the usual diagnostics.

// limitPod has findings of its own: a limit replaces them, and undoing it brings them back.
const limitPod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  hostPID: true\n  containers:\n  - name: c\n    image: nginx\n"

// aliasBomb doubles nine times over ten: 10^10 values.
func aliasBomb(kind string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: v1\nkind: %s\nmetadata:\n  name: bomb\ndata:\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n", kind)
	for c := 'b'; c <= 'j'; c++ {
		prev := string(c - 1)
		fmt.Fprintf(&b, "  %c: &%c [%s]\n", c, c, strings.TrimSuffix(strings.Repeat("*"+prev+", ", 10), ", "))
	}
	return b.String()
}

func deepBlock(levels int) string {
	var b strings.Builder
	for i := range levels {
		b.WriteString(strings.Repeat(" ", i) + "k:\n")
	}
	return b.String()
}

type limitCase struct {
	name string
	text string // the whole text, opened as it is
	// or a change of limitPod: insert at the end of line (0-based), taking it over the limit
	line   uint32
	insert string
	want   string // in the one diagnostic's message
}

func limitCases() []limitCase {
	endOfPod := uint32(strings.Count(limitPod, "\n"))
	return []limitCase{
		{name: "file over 10 MiB", text: limitPod + "# " + strings.Repeat("x", 10<<20) + "\n", want: "over the limit of 10 MiB"},
		{name: "didChange past 10 MiB", line: endOfPod, insert: strings.Repeat("# padding line of a generated file\n", (10<<20)/35+1), want: "over the limit of 10 MiB"},
		{name: "10,001 documents", text: strings.Repeat("---\na: 1\n", 10001), want: "10001 YAML documents, over the limit of 10000"},
		{name: "didChange past 10,000 documents", line: endOfPod, insert: strings.Repeat("---\na: 1\n", 10000), want: "10001 YAML documents, over the limit of 10000"},
		{name: "flow nesting deeper than 1,000", text: "a: " + strings.Repeat("[", 1001) + strings.Repeat("]", 1001) + "\n", want: "nested deeper than 1000 levels"},
		{name: "didChange nesting deeper than 1,000", line: endOfPod, insert: deepBlock(1002), want: "nested deeper than 1000 levels"},
		{name: "alias bomb", text: aliasBomb("ConfigMap"), want: "aliases expand to more than"},
		{name: "alias bomb in a workload", text: aliasBomb("Pod"), want: "aliases expand to more than"},
		{name: "line over 1 MiB", text: limitPod + "# " + strings.Repeat("y", 1<<20) + "\n", want: "longer than 1 MiB"},
		{name: "didChange past 1 MiB on a line", line: 3, insert: " # " + strings.Repeat("y", 1<<20), want: "line 4 is longer than 1 MiB"},
		{name: "binary content", text: limitPod + "\x00\x01\x02\x7f\x1b", want: "NUL bytes"}, // LSP text is Unicode: no invalid UTF-8
		{name: "didChange with a NUL", line: 0, insert: "\x00", want: "NUL bytes"},
	}
}

func TestResourceLimitsOverLSP(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("sends files of 10 MiB")
	}
	for i, c := range limitCases() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := newSession(t, sessionOptions{})
			u := uri.File(fmt.Sprintf("/work/limits/%d.yaml", i))
			version := int32(1)
			if c.text != "" {
				s.open(u, "yaml", c.text)
			} else {
				s.open(u, "yaml", limitPod)
				if d := s.diagnosticsAt(u, 1); !hasCode(d, "host-pid") {
					t.Fatalf("the pod's own diagnostics: %v", codes(d))
				}
				version = 2
				s.change(u, version, partial(c.line, uint32(len(strings.Split(limitPod, "\n")[c.line])), c.line, uint32(len(strings.Split(limitPod, "\n")[c.line])), c.insert))
			}
			diags := s.diagnosticsAt(u, version)
			if len(diags) != 1 || !strings.Contains(messageOf(diags[0]), c.want) {
				var msgs []string
				for _, d := range diags[:min(len(diags), 5)] {
					msgs = append(msgs, messageOf(d))
				}
				t.Fatalf("%d diagnostics %q, want one saying %q", len(diags), msgs, c.want)
			}
			// The server is still there, with the client's text.
			if _, err := s.server.Hover(s.ctx(), &protocol.HoverParams{TextDocumentPositionParams: protocol.TextDocumentPositionParams{
				TextDocument: protocol.TextDocumentIdentifier{URI: u}, Position: protocol.Position{},
			}}); err != nil {
				t.Errorf("hover after the limit: %v", err)
			}
			want := c.text
			if want == "" {
				lines := strings.SplitAfter(limitPod, "\n")
				lines[c.line] = strings.TrimSuffix(lines[c.line], "\n") + c.insert + map[bool]string{true: "\n", false: ""}[strings.HasSuffix(lines[c.line], "\n")]
				want = strings.Join(lines, "")
			}
			st := s.debugStateOf()
			if len(st.Documents) != 1 || st.Documents[0].SHA256 != sha(want) || st.Documents[0].Version != version {
				t.Errorf("the server's text: %+v, want version %d of %d bytes", st.Documents, version, len(want))
			}
			// Back under the limit: the usual diagnostics.
			version++
			s.change(u, version, whole(limitPod))
			if d := s.diagnosticsAt(u, version); !hasCode(d, "host-pid") {
				t.Errorf("back under the limit: %v", codes(d))
			}
		})
	}
}
