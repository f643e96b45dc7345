package helm

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
)

var update = flag.Bool("update", false, "rewrite the golden placement files")

// insecureValues are values overlays that make each shared chart insecure in the ways the
// rules look for: privileged, runAsUser 0, SYS_ADMIN, the host network, host paths.
var insecureValues = map[string]string{
	"nginx": `hostNetwork: true
containerSecurityContext: {enabled: true, privileged: true, runAsUser: 0, capabilities: {add: [SYS_ADMIN]}}
extraVolumes: [{name: sock, hostPath: {path: /var/run/docker.sock}}]
extraVolumeMounts: [{name: sock, mountPath: /sock}]
`,
	"redis": `master:
  containerSecurityContext: {enabled: true, privileged: true, runAsUser: 0, capabilities: {add: [SYS_ADMIN]}}
  extraVolumes: [{name: sock, hostPath: {path: /var/run/docker.sock}}]
`,
	"postgresql": `primary:
  hostNetwork: true
  containerSecurityContext: {enabled: true, privileged: true, runAsUser: 0, capabilities: {add: [SYS_ADMIN]}}
  extraVolumes: [{name: sock, hostPath: {path: /var/run/docker.sock}}]
`,
	"grafana": `securityContext: {runAsUser: 0, runAsNonRoot: false}
containerSecurityContext: {privileged: true, capabilities: {add: [SYS_ADMIN]}}
extraVolumes: [{name: sock, mountPath: /sock, hostPath: {path: /var/run/docker.sock}}]
`,
	"prometheus": `server:
  hostNetwork: true
  containerSecurityContext: {privileged: true, runAsUser: 0, capabilities: {add: [SYS_ADMIN]}}
  extraHostPathMounts: [{name: sock, mountPath: /sock, hostPath: /var/run/docker.sock}]
`,
	"kube-state-metrics": `hostNetwork: true
containerSecurityContext: {privileged: true, runAsUser: 0, capabilities: {add: [SYS_ADMIN]}}
`,
	"prometheus-node-exporter": `containerSecurityContext: {privileged: true, runAsUser: 0, capabilities: {add: [SYS_ADMIN]}}
extraHostVolumeMounts: [{name: sock, mountPath: /sock, hostPath: /var/run/docker.sock}]
`,
}

func defaultEngine(t testing.TB) *analysis.Engine {
	t.Helper()
	e, err := analysis.NewEngine(context.Background(), analysis.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// checkChart renders and checks a chart.
func checkChart(t testing.TB, e *analysis.Engine, dir string, opts Options) (*Chart, *Checked) {
	t.Helper()
	c, err := Render(context.Background(), dir, opts)
	if err != nil {
		t.Fatalf("rendering %s: %v", dir, err)
	}
	res, err := c.Check(context.Background(), e)
	if err != nil {
		t.Fatalf("checking %s: %v", dir, err)
	}
	return c, res
}

// variantOptions are the render options of a shared chart's variant: "default" renders with
// its values.yaml alone, "insecure" also with insecureValues[name], written to a values file
// whose path is returned ("" for the default).
func variantOptions(t testing.TB, name, variant string) (Options, string) {
	t.Helper()
	if variant != "insecure" {
		return Options{}, ""
	}
	overlay := filepath.Join(t.TempDir(), "insecure.yaml")
	if err := os.WriteFile(overlay, []byte(insecureValues[name]), 0o644); err != nil {
		t.Fatal(err)
	}
	return Options{ValuesFiles: []string{overlay}}, overlay
}

// sharedVariant is a shared chart in one of its variants (variantOptions): its directory and
// name, the variant, the options that render it and the insecure values file ("" for the
// default).
type sharedVariant struct {
	dir, name, variant, overlay string
	opts                        Options
}

// eachSharedVariant runs test as a subtest, "chart/variant", for every shared chart with its
// default values and with its insecure overlay.
func eachSharedVariant(t *testing.T, test func(t *testing.T, v sharedVariant)) {
	for _, dir := range sharedChartDirs(t) {
		name := filepath.Base(dir)
		for _, variant := range []string{"default", "insecure"} {
			t.Run(name+"/"+variant, func(t *testing.T) {
				opts, overlay := variantOptions(t, name, variant)
				test(t, sharedVariant{dir: dir, name: name, variant: variant, overlay: overlay, opts: opts})
			})
		}
	}
}

// TestPlacements: every finding on the shared charts, with default values and with the
// insecure overlay, lands on a template line that writes its field or owner, and matches
// the golden placements (go test -update rewrites them).
func TestPlacements(t *testing.T) {
	e := defaultEngine(t)
	eachSharedVariant(t, func(t *testing.T, v sharedVariant) {
		c, res := checkChart(t, e, v.dir, v.opts)
		var lines []string
		for _, f := range res.Findings {
			checkWritesField(t, c, f)
			lines = append(lines, describe(v.dir, v.overlay, f))
		}
		slices.Sort(lines)
		golden := filepath.Join("testdata", "placements", v.name+"."+v.variant+".txt")
		got := strings.Join(lines, "\n") + "\n"
		if *update {
			if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test -update to write it)", err)
		}
		if got != string(want) {
			t.Errorf("placements differ from %s (go test -update rewrites it):\n%s", golden, lineDiff(string(want), got))
		}
		if v.variant == "insecure" {
			checkInsecureFound(t, res, v.overlay, v.name)
		}
	})
}

// describe is a finding's placement as the golden files hold it.
func describe(dir, overlay string, f Finding) string {
	rel := func(p string) string {
		if p == overlay {
			return "<overlay>"
		}
		r, _ := filepath.Rel(dir, p)
		return filepath.ToSlash(r)
	}
	var via []string
	for _, v := range f.At.Via {
		via = append(via, fmt.Sprintf("%s:%d", rel(v.File), v.Line))
	}
	s := fmt.Sprintf("%s %s:%d via=[%s] rendered=%s:%d %s", f.Rule, rel(f.At.File), f.At.Line, strings.Join(via, " "), rel(f.Manifest.Template), f.RenderedLine, joinPath(f.Path))
	if f.Values != nil {
		kind := "value"
		if f.Guard {
			kind = "guard"
		}
		s += fmt.Sprintf(" %s=%s@%s:%d", kind, f.Values.Path, rel(f.Values.File), f.Values.Line)
	}
	return s
}

// checkWritesField: the template line a finding is placed on writes the field's (or owner's)
// key literally, or holds the action that wrote it.
func checkWritesField(t *testing.T, c *Chart, f Finding) {
	t.Helper()
	li := c.files[f.At.File]
	if li == nil || f.At.Line < 1 || f.At.Line > len(li.starts) {
		t.Errorf("%s %s: placed at %s:%d, not a template line", f.Rule, joinPath(f.Path), f.At.File, f.At.Line)
		return
	}
	end := len(li.text)
	if f.At.Line < len(li.starts) {
		end = li.starts[f.At.Line]
	}
	tline := string(li.text[li.starts[f.At.Line-1]:end])
	rline := strings.Split(f.Manifest.Text, "\n")[f.RenderedLine-1]
	key := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(rline), "- "))
	if i := strings.IndexByte(key, ':'); i >= 0 {
		key = key[:i]
	}
	if !strings.Contains(tline, "{{") && !strings.Contains(tline, key) {
		t.Errorf("%s %s: placed at %s:%d %q, which neither writes %q nor holds an action", f.Rule, joinPath(f.Path), f.At.File, f.At.Line, tline, key)
	}
}

// checkInsecureFound: the overlay's settings are found, and each on the overlay's key.
func checkInsecureFound(t *testing.T, res *Checked, overlay, chart string) {
	t.Helper()
	want := []string{"privileged-container", "cap-sys-admin", "docker-socket-mount"}
	switch chart {
	case "nginx", "redis", "postgresql":
		// bitnami's common drops the capabilities of a privileged container
		want = []string{"privileged-container", "run-as-non-root", "docker-socket-mount"}
	case "kube-state-metrics":
		want = []string{"privileged-container", "cap-sys-admin", "host-network"}
	}
	fromOverlay := map[string]bool{}
	for _, f := range res.Findings {
		if f.Values != nil && f.Values.File == overlay {
			fromOverlay[f.Rule] = true
		}
	}
	for _, rule := range want {
		if !fromOverlay[rule] {
			t.Errorf("no %s finding traced to the overlay (traced: %v)", rule, fromOverlay)
		}
	}
}

func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var out []string
	for _, l := range w {
		if !slices.Contains(g, l) {
			out = append(out, "- "+l)
		}
	}
	for _, l := range g {
		if !slices.Contains(w, l) {
			out = append(out, "+ "+l)
		}
	}
	return strings.Join(out, "\n")
}

// TestPlaceSpansTheAction: a finding whose text an action wrote is underlined up to the
// action's "}}" (also after non-ASCII text on the line), one whose text is the template's
// own ends where that text ends.
func TestPlaceSpansTheAction(t *testing.T) {
	t.Parallel()
	dir := writeChart(t, map[string]string{
		"Chart.yaml":  chartYAML,
		"values.yaml": "privileged: true\n",
		"templates/pod.yaml": `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  hostPID: true
  containers:
    - name: app
      image: nginx:1.27
      securityContext: {runAsUser: 10001, privileged: {{ .Values.privileged }} } # é
    - name: ünï
      image: nginx:1.27
      securityContext:
        privileged: {{- " " }}{{ .Values.privileged | toString }}
`,
	})
	e := defaultEngine(t)
	c, res := checkChart(t, e, dir, Options{})
	want := map[string]Span{
		"host-pid 6":              {Line: 6, Column: 3, EndLine: 6, EndColumn: 16},
		"privileged-container 10": {Line: 10, Column: 43, EndLine: 10, EndColumn: 79},
		"privileged-container 14": {Line: 14, Column: 9, EndLine: 14, EndColumn: 66},
	}
	got := map[string]Span{}
	for _, f := range res.Findings {
		key := fmt.Sprintf("%s %d", f.Rule, f.At.Line)
		if _, ok := want[key]; ok {
			got[key] = c.Place(f).Span
		}
	}
	for key, w := range want {
		if got[key] != w {
			t.Errorf("%s: span %+v, want %+v", key, got[key], w)
		}
	}
}
