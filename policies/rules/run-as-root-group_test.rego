package kubepolicy.rules.run_as_root_group_test

import data.kubepolicy.rules.run_as_root_group as rule

pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec}

sc(x) := {"securityContext": x}

set_gid(path, gid) := [{"op": "set", "path": path, "value": gid}]

test_container_root_group_fails_at_the_container if {
	path := ["spec", "containers", 0, "securityContext", "runAsGroup"]
	rule.violations == {{
		"path": path,
		"message": "container \"web\" runs with the root group (securityContext.runAsGroup: 0)",
		"fix": set_gid(path, 10001),
	}} with input as pod({"containers": [object.union({"name": "web"}, sc({"runAsGroup": 0}))]})
}

test_pod_root_group_fails_once_at_the_pod if {
	path := ["spec", "securityContext", "runAsGroup"]
	rule.violations == {{
		"path": path,
		"message": "pod runs containers \"init\", \"web\" with the root group (securityContext.runAsGroup: 0)",
		"fix": set_gid(path, 10001),
	}} with input as pod(object.union(sc({"runAsGroup": 0}), {
		"containers": [{"name": "web"}, object.union({"name": "side"}, sc({"runAsGroup": 1000}))],
		"initContainers": [{"name": "init", "securityContext": {"runAsGroup": null}}],
	}))
}

test_pod_root_group_overridden_by_every_container_passes if {
	count(rule.violations) == 0 with input as pod(object.union(sc({"runAsGroup": 0}), {
		"containers": [object.union({"name": "web"}, sc({"runAsGroup": 1000}))],
		"initContainers": [object.union({"name": "init"}, sc({"runAsGroup": 2000}))],
	}))
}

test_container_zero_under_pod_zero_reports_both if {
	vs := rule.violations with input as pod(object.union(sc({"runAsGroup": 0}), {
		"containers": [object.union({"name": "web"}, sc({"runAsGroup": 0})), object.union({"name": "side"}, sc({"runAsGroup": 5}))],
	}))
	{v.path | some v in vs} == {["spec", "securityContext", "runAsGroup"], ["spec", "containers", 0, "securityContext", "runAsGroup"]}
	{v.message | some v in vs} == {
		"pod sets the root group for its containers (securityContext.runAsGroup: 0)",
		"container \"web\" runs with the root group (securityContext.runAsGroup: 0)",
	}
}

test_pod_root_group_names_the_containers_that_inherit_it if {
	vs := rule.violations with input as pod(object.union(sc({"runAsGroup": 0}), {"containers": [
		object.union({"name": "web"}, sc({"runAsGroup": 0})),
		{"name": "side"},
	]}))
	{v.message | some v in vs} == {
		"pod runs container \"side\" with the root group (securityContext.runAsGroup: 0)",
		"container \"web\" runs with the root group (securityContext.runAsGroup: 0)",
	}
}

test_pod_root_group_without_containers_fails if {
	vs := rule.violations with input as pod(sc({"runAsGroup": 0}))
	[v.path | some v in vs] == [["spec", "securityContext", "runAsGroup"]]
}

test_fs_group_zero_fails if {
	path := ["spec", "securityContext", "fsGroup"]
	rule.violations == {{
		"path": path,
		"message": "pod gives its volumes to the root group (securityContext.fsGroup: 0)",
		"fix": set_gid(path, 10001),
	}} with input as pod(object.union(sc({"fsGroup": 0}), {"containers": [{"name": "web"}]}))
}

test_supplemental_group_zero_fails_at_the_entry if {
	path := ["spec", "securityContext", "supplementalGroups", 1]
	rule.violations == {{
		"path": path,
		"message": "pod adds the root group to every container's processes (0 in securityContext.supplementalGroups)",
		"fix": [{"op": "remove", "path": path}],
	}} with input as pod(object.union(sc({"supplementalGroups": [1000, 0, 2000]}), {"containers": [{"name": "web"}]}))
}

# Unset is the image's default, not a finding (OpenShift's arbitrary-UID images run with GID 0).
test_unset_and_non_zero_groups_pass if {
	count(rule.violations) == 0 with input as pod({"containers": [{"name": "web"}]})
	count(rule.violations) == 0 with input as pod(object.union(
		sc({"runAsGroup": 1000, "fsGroup": 2000, "supplementalGroups": [3000]}),
		{"containers": [object.union({"name": "web"}, sc({"runAsGroup": 1}))]},
	))
	count(rule.violations) == 0 with input as pod(object.union(
		sc({"runAsGroup": null, "fsGroup": null, "supplementalGroups": null}),
		{"containers": [object.union({"name": "web"}, sc({"runAsGroup": null}))]},
	))
}

test_windows_pod_is_skipped if {
	count(rule.violations) == 0 with input as pod(object.union(
		sc({"runAsGroup": 0, "fsGroup": 0, "supplementalGroups": [0]}),
		{"os": {"name": "windows"}, "containers": [object.union({"name": "web"}, sc({"runAsGroup": 0}))]},
	))
}

test_gid_parameter if {
	vs := rule.violations with input as pod(object.union(sc({"fsGroup": 0}), {"containers": [{"name": "web"}]}))
		with data.kubepolicy.config as {"rules": {"run-as-root-group": {"params": {"gid": 3000}}}}
	[v.fix | some v in vs] == [set_gid(["spec", "securityContext", "fsGroup"], 3000)]
}

test_workload_nesting_and_ephemeral_containers if {
	vs := rule.violations with input as {
		"apiVersion": "batch/v1",
		"kind": "CronJob",
		"metadata": {"name": "c"},
		"spec": {"jobTemplate": {"spec": {"template": {"spec": {
			"containers": [{"name": "job"}],
			"ephemeralContainers": [object.union({"name": "debug"}, sc({"runAsGroup": 0}))],
		}}}}},
	}
	[v.path | some v in vs] == [["spec", "jobTemplate", "spec", "template", "spec", "ephemeralContainers", 0, "securityContext", "runAsGroup"]]
}

test_odd_values_do_not_error if {
	count(rule.violations) == 0 with input as pod(object.union(
		sc({"runAsGroup": "0", "fsGroup": [0], "supplementalGroups": "0"}),
		{"containers": [object.union({"name": "web"}, sc({"runAsGroup": "0"})), "x"]},
	))
}
