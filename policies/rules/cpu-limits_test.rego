package kubepolicy.rules.cpu_limits_test

import data.kubepolicy.rules.cpu_limits

ok := {"name": "ok", "image": "nginx", "resources": {"limits": {"cpu": "1"}}}

bare(name) := {"name": name, "image": "nginx"}

pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec}

finding(name, path, value) := {
	"path": path,
	"message": sprintf("container %q has no resources.limits.cpu", [name]),
	"fix": [{"op": "set", "path": path, "value": value}],
}

test_container_without_cpu_limits_fails if {
	vs := cpu_limits.violations with input as pod({"containers": [bare("web")]})
	vs == {finding("web", ["spec", "containers", 0, "resources", "limits", "cpu"], "500m")}
}

test_container_with_cpu_limits_passes if {
	vs := cpu_limits.violations with input as pod({"containers": [ok]})
	count(vs) == 0
}

test_only_the_offending_container_of_a_deployment if {
	deploy := {
		"apiVersion": "apps/v1",
		"kind": "Deployment",
		"metadata": {"name": "d"},
		"spec": {"template": {"spec": {"containers": [ok, bare("sidecar")]}}},
	}
	vs := cpu_limits.violations with input as deploy
	vs == {finding("sidecar", ["spec", "template", "spec", "containers", 1, "resources", "limits", "cpu"], "500m")}
}

test_init_container_is_checked if {
	vs := cpu_limits.violations with input as pod({"initContainers": [bare("init")], "containers": [ok]})
	vs == {finding("init", ["spec", "initContainers", 0, "resources", "limits", "cpu"], "500m")}
}

test_ephemeral_container_is_not_checked if {
	vs := cpu_limits.violations with input as pod({"containers": [ok], "ephemeralContainers": [bare("debug")]})
	count(vs) == 0
}

test_cronjob_nesting if {
	cronjob := {
		"apiVersion": "batch/v1",
		"kind": "CronJob",
		"metadata": {"name": "c"},
		"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [bare("job")]}}}}},
	}
	vs := cpu_limits.violations with input as cronjob
	path := ["spec", "jobTemplate", "spec", "template", "spec", "containers", 0, "resources", "limits", "cpu"]
	vs == {finding("job", path, "500m")}
}

test_other_fields_do_not_satisfy if {
	c := {"name": "web", "resources": {"limits": {"memory": "1"}, "requests": {"cpu": "1"}}}
	vs := cpu_limits.violations with input as pod({"containers": [c]})
	vs == {finding("web", ["spec", "containers", 0, "resources", "limits", "cpu"], "500m")}
}

test_null_or_empty_value_counts_as_missing if {
	cs := [
		{"name": "a", "resources": null},
		{"name": "b", "resources": {"limits": null}},
		{"name": "c", "resources": {"limits": {"cpu": null}}},
		{"name": "d", "resources": {"limits": {"cpu": ""}}},
		{"name": "e", "resources": "odd"},
	]
	vs := cpu_limits.violations with input as pod({"containers": cs})
	{v.path[2] | some v in vs} == {0, 1, 2, 3, 4}
}

test_pod_level_resources_cover_every_container if {
	spec := {"resources": {"limits": {"cpu": "2"}}, "initContainers": [bare("init")], "containers": [bare("web")]}
	vs := cpu_limits.violations with input as pod(spec)
	count(vs) == 0
}

test_pod_level_resources_ignored_before_kubernetes_1_32 if {
	spec := {"resources": {"limits": {"cpu": "2"}}, "containers": [bare("web")]}
	vs := cpu_limits.violations with input as pod(spec) with data.kubepolicy.config as {"kubernetesMinor": 31}
	vs == {finding("web", ["spec", "containers", 0, "resources", "limits", "cpu"], "500m")}
}

test_pod_level_other_resource_does_not_cover if {
	spec := {"resources": {"limits": {"memory": "2"}}, "containers": [bare("web")]}
	vs := cpu_limits.violations with input as pod(spec)
	count(vs) == 1
}

test_fix_uses_configured_default if {
	cfg := {"defaults": {"resources": {"cpuLimit": "7"}}}
	vs := cpu_limits.violations with input as pod({"containers": [bare("web")]}) with data.kubepolicy.config as cfg
	vs == {finding("web", ["spec", "containers", 0, "resources", "limits", "cpu"], "7")}
}

test_unnamed_container_is_named_by_position if {
	vs := cpu_limits.violations with input as pod({"containers": [{"image": "nginx"}]})
	vs == {finding("containers[0]", ["spec", "containers", 0, "resources", "limits", "cpu"], "500m")}
}

test_odd_types_do_not_error if {
	vs := cpu_limits.violations with input as pod({"containers": ["web", 3, null], "initContainers": "x"})
	count(vs) == 0
}

test_non_workload_is_ignored if {
	vs := cpu_limits.violations with input as {"apiVersion": "v1", "kind": "ConfigMap", "data": {"containers": "x"}}
	count(vs) == 0
}
