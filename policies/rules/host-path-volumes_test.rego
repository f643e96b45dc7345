package kubepolicy.rules.host_path_volumes_test

import data.kubepolicy.rules.host_path_volumes as rule

pod(volumes) := {
	"apiVersion": "v1",
	"kind": "Pod",
	"metadata": {"name": "p"},
	"spec": {"containers": [{"name": "web"}], "volumes": volumes},
}

test_host_path_volume_fails if {
	rule.violations == {{
		"path": ["spec", "volumes", 1, "hostPath"],
		"message": "volume \"host\" mounts the host path \"/a\" (hostPath)",
		"fix": [],
	}} with input as pod([{"name": "scratch", "emptyDir": {}}, {"name": "host", "hostPath": {"path": "/a"}}])
}

test_every_host_path_volume_fails if {
	vs := rule.violations with input as pod([{"name": "a", "hostPath": {"path": "/a"}}, {"name": "b", "hostPath": {"path": "/var/run/docker.sock"}}])
	{v.path | some v in vs} == {["spec", "volumes", 0, "hostPath"], ["spec", "volumes", 1, "hostPath"]}
}

test_other_volumes_pass if {
	count(rule.violations) == 0 with input as pod([
		{"name": "a", "emptyDir": {}},
		{"name": "b"},
		{"name": "c", "hostPath": null},
		{"name": "d", "persistentVolumeClaim": {"claimName": "x"}},
	])
	count(rule.violations) == 0 with input as pod(null)
}

test_odd_host_path_value_does_not_error if {
	vs := rule.violations with input as pod([{"name": "a", "hostPath": "/a"}])
	[v.message | some v in vs] == ["volume \"a\" mounts the host path (no path) (hostPath)"]
}

test_cronjob_nesting if {
	vs := rule.violations with input as {
		"apiVersion": "batch/v1",
		"kind": "CronJob",
		"metadata": {"name": "c"},
		"spec": {"jobTemplate": {"spec": {"template": {"spec": {
			"containers": [{"name": "job"}],
			"volumes": [{"name": "h", "hostPath": {"path": "/etc"}}],
		}}}}},
	}
	{v.path | some v in vs} == {["spec", "jobTemplate", "spec", "template", "spec", "volumes", 0, "hostPath"]}
}

psp(volumes) := {"apiVersion": "policy/v1beta1", "kind": "PodSecurityPolicy", "metadata": {"name": "psp"}, "spec": {"volumes": volumes}}

test_psp_allowing_host_path_fails if {
	rule.violations == {{
		"path": ["spec", "volumes", 1],
		"message": "PodSecurityPolicy allows hostPath volumes (spec.volumes has \"hostPath\")",
		"fix": [],
	}} with input as psp(["configMap", "hostPath"])
}

test_psp_allowing_everything_fails if {
	vs := rule.violations with input as psp(["*"])
	{v.path | some v in vs} == {["spec", "volumes", 0]}
}

test_psp_without_host_path_passes if {
	count(rule.violations) == 0 with input as psp(["configMap", "secret"])
}
