package yamldoc

import (
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestFlowCollectionEnd: the end of a flow collection, found in the source text, skips quoted
// strings and comments, but a quote inside a plain scalar (FOO"0, don't) is only a character.
// (FuzzFixAll found [SYS_ADMIN"00000000] #c at the end of a file: its end was taken for the
// end of the file, and fixes inserted after the collection landed in the comment.)
func TestFlowCollectionEnd(t *testing.T) {
	t.Parallel()
	for _, value := range []string{
		`[FOO"0]`,
		`[SYS_ADMIN"00000000]`,
		`[don't, stop]`,
		`[a "b]`,
		`[x, "y]z", 'w]v', "e\"]"]`,
		`{"k":"v]", 'q': 'it''s]'}`,
		`{k: [1, 2], "q": "]"}`,
		`[!!str "a]b", &x "c]d", !<tag:yaml.org,2002:str> "e]f"]`,
		"[x, # a comment ] with brackets\n  y]",
		`[a:"b", c]`,
		`[]`,
		`[ "x" ]`,
	} {
		for _, after := range []string{"", " # trailing ] comment", "\nb: 1\n"} {
			text := "a: " + value + after
			d := SplitDocuments(text)[0]
			d.Parse()
			if d.Err != nil || d.Root == nil {
				t.Fatalf("%q does not parse: %v", text, d.Err)
			}
			m := d.Root
			if m.Kind == yaml.DocumentNode {
				m = m.Content[0]
			}
			v := m.Content[1]
			want := len("a: ") + len(value)
			if got := d.NodeRange(v).End; got != want {
				t.Errorf("%q: the collection ends at %d (%q), want %d", text, got, text[:min(got, len(text))], want)
			}
		}
	}
}
