package workspace

import "testing"

func TestMatchExclude(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, rel string
		want         bool
	}{
		{"charts/**", "charts/app/templates/x.yaml", true},
		{"charts/**", "charts", true},
		{"charts", "charts/x.yaml", true},
		{"charts/**", "deploy/charts.yaml", false},
		{"*.generated.yaml", "a/b/app.generated.yaml", true},
		{"*.generated.yaml", "a/b/app.yaml", false},
		{"deploy/*.yaml", "deploy/app.yaml", true},
		{"deploy/*.yaml", "deploy/sub/app.yaml", false},
		{"deploy/**/test-*.yaml", "deploy/a/b/test-1.yaml", true},
		{"deploy/**/test-*.yaml", "deploy/test-1.yaml", true},
		{"./vendor/", "vendor/x.yaml", true},
		{"**", "anything/at/all.yaml", true},
		{"", "x.yaml", false},
	}
	for _, tt := range tests {
		if got := matchExclude(tt.pattern, tt.rel); got != tt.want {
			t.Errorf("matchExclude(%q, %q) = %v, want %v", tt.pattern, tt.rel, got, tt.want)
		}
	}
}
