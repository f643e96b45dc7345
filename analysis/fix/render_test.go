package fix

import (
	"testing"

	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"
)

func TestRenderScalar(t *testing.T) {
	t.Parallel()
	tests := []struct {
		v      any
		inFlow bool
		q      quoting
		want   string
	}{
		{true, false, quotePlain, "true"},
		{int64(10001), false, quotePlain, "10001"},
		{0.5, false, quotePlain, "0.5"},
		{float64(3), false, quotePlain, "3"},
		{nil, false, quotePlain, "null"},
		{"500m", false, quotePlain, "500m"},
		{"runtime/default", false, quotePlain, "runtime/default"},
		{"true", false, quotePlain, `"true"`},
		{"False", false, quotePlain, `"False"`},
		{"on", false, quotePlain, `"on"`},
		{"1", false, quotePlain, `"1"`},
		{"0755", false, quotePlain, `"0755"`},
		{"1e3", false, quotePlain, `"1e3"`},
		{"null", false, quotePlain, `"null"`},
		{"~", false, quotePlain, `"~"`},
		{"", false, quotePlain, `""`},
		{"TODO: reason", false, quotePlain, `"TODO: reason"`},
		{"a #b", false, quotePlain, `"a #b"`},
		{"#a", false, quotePlain, `"#a"`},
		{"- a", false, quotePlain, `"- a"`},
		{"-a", false, quotePlain, "-a"},
		{"*x", false, quotePlain, `"*x"`},
		{" x", false, quotePlain, `" x"`},
		{"a,b", false, quotePlain, "a,b"},
		{"a,b", true, quotePlain, `"a,b"`},
		{"line\nbreak", false, quotePlain, `"line\nbreak"`},
		{"Grüße 🚀", false, quotePlain, "Grüße 🚀"},
		{"ALL", false, quoteDouble, `"ALL"`},
		{"it's", false, quoteSingle, `'it''s'`},
		{"a\nb", false, quoteSingle, `"a\nb"`},
	}
	for _, tt := range tests {
		if got := renderScalar(tt.v, tt.inFlow, tt.q); got != tt.want {
			t.Errorf("renderScalar(%#v, flow=%v, %v) = %s, want %s", tt.v, tt.inFlow, tt.q, got, tt.want)
		}
	}
}

func TestStyleInference(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in                string
		indent, seqIndent int
		nl                string
		keys, values      quoting
	}{
		{"a:\n  b:\n    c: 1\n  l:\n  - x\n", 2, 0, "\n", quotePlain, quotePlain},
		{"a:\n    b:\n        c: 1\n    l:\n        - x\n", 4, 4, "\n", quotePlain, quotePlain},
		{"a:\r\n  l:\r\n    - x\r\n", 2, 2, "\r\n", quotePlain, quotePlain},
		{"\"a\":\n  \"b\": \"x\"\n  \"c\": \"y\"\n", 2, 2, "\n", quoteDouble, quoteDouble},
		{"a: {b: 1}\n", 2, 2, "\n", quotePlain, quotePlain},
	}
	for _, tt := range tests {
		d := yamldoc.SplitDocuments(tt.in)[0]
		d.Parse()
		st := styleOf(d)
		if st.indent != tt.indent || st.seqIndent != tt.seqIndent || st.nl != tt.nl || st.keys != tt.keys || st.values != tt.values {
			t.Errorf("%q: style %+v", tt.in, st)
		}
	}
}
