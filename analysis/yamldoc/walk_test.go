package yamldoc

import (
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestWalk checks how far paths reach: through mappings and lists, aliases followed, a field
// that a merge key provides standing as the merge's entry, and the last of duplicate keys.
func TestWalk(t *testing.T) {
	t.Parallel()
	text := "base: &b {x: 1}\nm:\n  <<: *b\n  y: 2\nl: [a, {n: c}]\nref: *b\n"
	d := SplitDocuments(text)[0]
	d.Parse()
	if d.Err != nil {
		t.Fatal(d.Err)
	}
	tests := []struct {
		path   []any
		steps  int
		merged bool
		value  string // of the last step's node, aliases followed, when a scalar
	}{
		{[]any{"m", "y"}, 2, false, "2"},
		{[]any{"m", "x"}, 2, true, ""},
		{[]any{"l", 1, "n"}, 3, false, "c"},
		{[]any{"l", 2}, 1, false, ""},
		{[]any{"l", -1}, 1, false, ""},
		{[]any{"ref", "x"}, 2, false, "1"},
		{[]any{"missing", "x"}, 0, false, ""},
		{[]any{"m", "y", "deeper"}, 2, false, "2"},
		{[]any{"m", 1.5}, 1, false, ""},
	}
	for _, tt := range tests {
		steps := Walk(d.Root, tt.path)
		if len(steps) != tt.steps {
			t.Errorf("Walk(%v): %d steps, want %d", tt.path, len(steps), tt.steps)
			continue
		}
		if len(steps) == 0 {
			continue
		}
		last := steps[len(steps)-1]
		if last.Merged != tt.merged {
			t.Errorf("Walk(%v): merged %v", tt.path, last.Merged)
		}
		if n := Deref(last.Node); tt.value != "" && (n.Kind != yaml.ScalarNode || n.Value != tt.value) {
			t.Errorf("Walk(%v) ends at %q, want %q", tt.path, n.Value, tt.value)
		}
	}
	if n := NodeAt(d.Root, []any{"l", 0}); n == nil || n.Value != "a" {
		t.Errorf("NodeAt(l[0]) = %v", n)
	}
	if NodeAt(d.Root, []any{"l", 5}) != nil || NodeAt(nil, []any{"l"}) != nil {
		t.Error("NodeAt found a node that is not there")
	}
	if NodeAt(d.Root, nil) != d.Root {
		t.Error("NodeAt of the empty path is not the root")
	}
	dup := SplitDocuments("a: 1\nb: {k: 1, k: 2}\n")[0]
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(dup.Text), &n); err != nil {
		t.Fatal(err)
	}
	if v := MappingValue(MappingValue(n.Content[0], "b"), "k"); v == nil || v.Value != "2" {
		t.Errorf("duplicate keys: got %v, want the last one", v)
	}
}
