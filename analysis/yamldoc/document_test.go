package yamldoc

import (
	"slices"
	"strings"
	"testing"
)

func TestSplitDocuments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		text  string
		texts []string
	}{
		{"single", "a: 1\n", []string{"a: 1\n"}},
		{"leading marker", "---\na: 1\n", []string{"---\na: 1\n"}},
		{"comment before marker stays with the document", "# c\n---\na: 1\n---\nb: 2\n", []string{"# c\n---\na: 1\n", "---\nb: 2\n"}},
		{"directive", "%YAML 1.2\n---\na: 1\n", []string{"%YAML 1.2\n---\na: 1\n"}},
		{"end marker", "a: 1\n...\nb: 2\n", []string{"a: 1\n...\n", "b: 2\n"}},
		{"content on the marker line", "--- a\n--- b\n", []string{"--- a\n", "--- b\n"}},
		{"not a marker", "a: ---\n----\nb: |\n  ---x\n", []string{"a: ---\n----\nb: |\n  ---x\n"}},
		{"empty document between", "a: 1\n---\n---\nb: 2\n", []string{"a: 1\n", "---\n", "---\nb: 2\n"}},
		{"CRLF", "a: 1\r\n---\r\nb: 2\r\n", []string{"a: 1\r\n", "---\r\nb: 2\r\n"}},
		{"empty", "", []string{""}},
		{"lone CR and non-ASCII", "a: é\r---\rb: 2\n---\nc: 3", []string{"a: é\r", "---\rb: 2\n", "---\nc: 3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs := SplitDocuments(tt.text)
			var got []string
			offset := 0
			for i, d := range docs {
				got = append(got, d.Text)
				if d.Index != i || d.Offset != offset || d.Line != NewMapper(tt.text[:offset]).LineCount()-1 {
					t.Errorf("doc %d: index %d offset %d line %d; want offset %d", i, d.Index, d.Offset, d.Line, offset)
				}
				offset += len(d.Text)
				// the document's line index is cut from the file's: it must be the one
				// NewMapper builds from the document's own text
				if want := NewMapper(d.Text); d.mapper == nil || !slices.Equal(d.mapper.lineStarts, want.lineStarts) || d.mapper.ascii != want.ascii || d.mapper.text != d.Text {
					t.Errorf("doc %d: mapper %+v, want %+v", i, d.mapper, want)
				}
			}
			if strings.Join(got, "|") != strings.Join(tt.texts, "|") {
				t.Errorf("SplitDocuments = %q, want %q", got, tt.texts)
			}
		})
	}
}

func TestParseErrorsStayInTheirDocument(t *testing.T) {
	t.Parallel()
	text := "a: 1\n---\nb: [\nc: 2\n---\nd: 3\n"
	docs := SplitDocuments(text)
	if len(docs) != 3 {
		t.Fatalf("%d documents", len(docs))
	}
	for _, d := range docs {
		d.Parse()
	}
	if docs[0].Err != nil || docs[2].Err != nil || docs[0].Root == nil || docs[2].Root == nil {
		t.Fatalf("documents 1 and 3 should parse: %v, %v", docs[0].Err, docs[2].Err)
	}
	if docs[1].Err == nil {
		t.Fatal("document 2 should not parse")
	}
}

func TestStructureErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, text, msg, at string
	}{
		{"duplicate key", "kind: Pod\nspec:\n  a: 1\n  a: 2\n", `mapping key "a" already defined at line 3`, "a"},
		{"template as key", "spec:\n  {{replicas}}: 1\n", "mapping key is not a scalar", "{{replicas}}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := SplitDocuments(tt.text)[0]
			d.Parse()
			if d.Err == nil || !strings.Contains(d.Err.Msg, tt.msg) {
				t.Fatalf("Err = %v, want %q", d.Err, tt.msg)
			}
			if got := d.Text[d.Err.Range.Start:d.Err.Range.End]; !strings.HasPrefix(got, tt.at) {
				t.Errorf("error range covers %q, want it to start with %q", got, tt.at)
			}
			if d.Err.Range.Start != strings.LastIndex(tt.text, tt.at) {
				t.Errorf("error at %d, want %d", d.Err.Range.Start, strings.LastIndex(tt.text, tt.at))
			}
		})
	}
}

func TestSyntaxErrorLine(t *testing.T) {
	t.Parallel()
	d := SplitDocuments("a: 1\nb: \"unterminated\n")[0]
	d.Parse()
	if d.Err == nil {
		t.Fatal("no error")
	}
	if line := d.mapper.LineOf(d.Err.Range.Start); line > 1 {
		t.Errorf("error on line %d, want 0 or 1: %v", line, d.Err)
	}
}

func TestDeepNestingRefused(t *testing.T) {
	t.Parallel()
	text := "a: " + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + "\n"
	d := SplitDocuments(text)[0]
	d.Parse()
	if d.Err == nil {
		t.Fatal("5000 levels of nesting parsed without error")
	}
}

func TestSyntaxErrorLines(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text string
		line int // 0-based line the error must be reported on
	}{
		{"a: 1\nb: 2\nmetadata: {name: two\n  broken: here\nc: 3\n", 2},
		{"a: 1\nb: [1, 2\nc: 3\n", 1},
		{"a: 1\n  b: 2\nc: 3\n", 1},
		{"a: 1\n\tb: 2\n", 1},
		{"a:\n  - x\n  y: 1\n", 1},
		{"a: 1\nb: @x\n", 1},
		{"k: v\nb: {a: 1}}\n", 1},
		{"a: 1\nkind: [\n", 1},
	}
	for _, tt := range tests {
		d := SplitDocuments(tt.text)[0]
		d.Parse()
		if d.Err == nil {
			t.Errorf("%q parsed", tt.text)
			continue
		}
		if got := d.mapper.LineOf(d.Err.Range.Start); got != tt.line {
			t.Errorf("%q: error %q on line %d, want %d", tt.text, d.Err.Msg, got, tt.line)
		}
	}
}
