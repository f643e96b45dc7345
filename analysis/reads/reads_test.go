package reads

import (
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
)

func TestProject(t *testing.T) {
	set, err := Parse([]string{"**.containers.*.name", "spec.hostPID", "metadata.annotations"})
	if err != nil {
		t.Fatal(err)
	}
	in := ast.MustParseTerm(`{
		"apiVersion": "v1", "kind": "Pod",
		"metadata": {"name": "p", "labels": {"a": "b"}, "annotations": {"x": "y"}},
		"spec": {"hostPID": true, "hostIPC": true, "template": "scalar", "nodeSelector": {"n": "m"},
			"containers": [{"name": "c", "image": "i", "env": [{"name": "A"}]}, "odd"]}
	}`).Value
	want := ast.MustParseTerm(`{
		"apiVersion": "v1", "kind": "Pod",
		"metadata": {"labels": {}, "annotations": {"x": "y"}},
		"spec": {"hostPID": true, "nodeSelector": {},
			"containers": [{"name": "c", "env": [{}]}, "odd"]}
	}`).Value
	if got := set.Project(in); got.Compare(want) != 0 {
		t.Errorf("projection:\n%v\nwant\n%v", got, want)
	}
	if _, err := Parse([]string{"spec..x"}); err == nil {
		t.Error("an empty segment was accepted")
	}
}
