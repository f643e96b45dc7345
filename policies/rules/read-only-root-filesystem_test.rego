package kubepolicy.rules.read_only_root_filesystem_test

import data.kubepolicy.rules.read_only_root_filesystem

pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec}

ctr(name, sc) := {"name": name, "image": "nginx", "securityContext": sc}

ro(name) := ctr(name, {"readOnlyRootFilesystem": true})

rorf_path(type, i) := ["spec", type, i, "securityContext", "readOnlyRootFilesystem"]

finding(name, path, problem) := {
	"path": path,
	"message": sprintf("container %q %s", [name, problem]),
	"fix": [{"op": "set", "path": path, "value": true}],
}

unset := "does not set securityContext.readOnlyRootFilesystem: true"

test_read_only_passes if {
	vs := read_only_root_filesystem.violations with input as pod({"initContainers": [ro("i")], "containers": [ro("a")]})
	count(vs) == 0
}

test_unset_fails if {
	vs := read_only_root_filesystem.violations with input as pod({"containers": [{"name": "web"}]})
	vs == {finding("web", rorf_path("containers", 0), unset)}
}

test_false_fails if {
	vs := read_only_root_filesystem.violations with input as pod({"containers": [ctr("web", {"readOnlyRootFilesystem": false})]})
	vs == {finding("web", rorf_path("containers", 0), "sets securityContext.readOnlyRootFilesystem: false")}
}

test_null_and_odd_values_fail if {
	spec := {"containers": [
		ctr("a", {"readOnlyRootFilesystem": null}),
		ctr("b", {"readOnlyRootFilesystem": "true"}),
		ctr("c", null),
	]}
	vs := read_only_root_filesystem.violations with input as pod(spec)
	vs == {
		finding("a", rorf_path("containers", 0), unset),
		finding("b", rorf_path("containers", 1), `sets securityContext.readOnlyRootFilesystem: "true"`),
		finding("c", rorf_path("containers", 2), unset),
	}
}

test_init_and_ephemeral_containers_are_checked if {
	spec := {"initContainers": [{"name": "init"}], "containers": [ro("web")], "ephemeralContainers": [{"name": "debug"}]}
	vs := read_only_root_filesystem.violations with input as pod(spec)
	vs == {finding("init", rorf_path("initContainers", 0), unset), finding("debug", rorf_path("ephemeralContainers", 0), unset)}
}

test_cronjob_nesting if {
	cronjob := {
		"apiVersion": "batch/v1",
		"kind": "CronJob",
		"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "job"}]}}}}},
	}
	vs := read_only_root_filesystem.violations with input as cronjob
	path := ["spec", "jobTemplate", "spec", "template", "spec", "containers", 0, "securityContext", "readOnlyRootFilesystem"]
	vs == {finding("job", path, unset)}
}

test_windows_pod_is_skipped if {
	vs := read_only_root_filesystem.violations with input as pod({"os": {"name": "windows"}, "containers": [{"name": "web"}]})
	count(vs) == 0
}

test_odd_container_types_do_not_error if {
	vs := read_only_root_filesystem.violations with input as pod({"containers": ["a", null, 1]})
	count(vs) == 0
}

psp(spec) := {"apiVersion": "policy/v1beta1", "kind": "PodSecurityPolicy", "spec": spec}

psp_finding(state) := {
	"path": ["spec", "readOnlyRootFilesystem"],
	"message": sprintf("PodSecurityPolicy allows a writable root file system (spec.readOnlyRootFilesystem %s)", [state]),
	"fix": [{"op": "set", "path": ["spec", "readOnlyRootFilesystem"], "value": true}],
}

test_psp_unset_fails if {
	vs := read_only_root_filesystem.violations with input as psp({"privileged": false})
	vs == {psp_finding("unset")}
}

test_psp_false_fails if {
	vs := read_only_root_filesystem.violations with input as psp({"readOnlyRootFilesystem": false})
	vs == {psp_finding(": false")}
}

test_psp_true_passes if {
	vs := read_only_root_filesystem.violations with input as psp({"readOnlyRootFilesystem": true})
	count(vs) == 0
}
