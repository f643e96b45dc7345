package kubepolicy.rules.privileged_container_test

import data.kubepolicy.rules.privileged_container

pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec}

ctr(name, sc) := {"name": name, "image": "nginx", "securityContext": sc}

finding(name, path) := {
	"path": path,
	"message": sprintf("container %q sets securityContext.privileged: true", [name]),
	"fix": [{"op": "set", "path": path, "value": false}],
}

test_privileged_container_fails if {
	vs := privileged_container.violations with input as pod({"containers": [ctr("web", {"privileged": true})]})
	vs == {finding("web", ["spec", "containers", 0, "securityContext", "privileged"])}
}

test_unprivileged_or_unset_passes if {
	spec := {"containers": [ctr("a", {"privileged": false}), ctr("b", {}), {"name": "c"}]}
	vs := privileged_container.violations with input as pod(spec)
	count(vs) == 0
}

test_init_and_ephemeral_containers_fail if {
	spec := {
		"initContainers": [ctr("init", {"privileged": true})],
		"containers": [ctr("web", {"privileged": false})],
		"ephemeralContainers": [ctr("debug", {"privileged": true})],
	}
	vs := privileged_container.violations with input as pod(spec)
	vs == {
		finding("init", ["spec", "initContainers", 0, "securityContext", "privileged"]),
		finding("debug", ["spec", "ephemeralContainers", 0, "securityContext", "privileged"]),
	}
}

test_every_privileged_container_is_reported if {
	spec := {"containers": [ctr("a", {"privileged": true}), ctr("b", {}), ctr("c", {"privileged": true})]}
	vs := privileged_container.violations with input as pod(spec)
	{v.path[2] | some v in vs} == {0, 2}
}

test_cronjob_nesting if {
	cronjob := {
		"apiVersion": "batch/v1",
		"kind": "CronJob",
		"metadata": {"name": "c"},
		"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [ctr("job", {"privileged": true})]}}}}},
	}
	vs := privileged_container.violations with input as cronjob
	vs == {finding("job", ["spec", "jobTemplate", "spec", "template", "spec", "containers", 0, "securityContext", "privileged"])}
}

test_pod_level_field_is_not_a_container_setting if {
	# privileged does not exist at pod level: nothing to inherit.
	spec := {"securityContext": {"privileged": true}, "containers": [ctr("web", {})]}
	vs := privileged_container.violations with input as pod(spec)
	count(vs) == 0
}

test_odd_types_do_not_fire if {
	spec := {"containers": [
		ctr("a", {"privileged": "true"}),
		ctr("b", null),
		ctr("c", "privileged"),
		"d",
	]}
	vs := privileged_container.violations with input as pod(spec)
	count(vs) == 0
}

test_psp_privileged_fails if {
	psp := {"apiVersion": "policy/v1beta1", "kind": "PodSecurityPolicy", "metadata": {"name": "x"}, "spec": {"privileged": true}}
	vs := privileged_container.violations with input as psp
	vs == {{
		"path": ["spec", "privileged"],
		"message": "PodSecurityPolicy allows privileged containers (spec.privileged: true)",
		"fix": [{"op": "set", "path": ["spec", "privileged"], "value": false}],
	}}
}

test_psp_unprivileged_passes if {
	psp := {"apiVersion": "policy/v1beta1", "kind": "PodSecurityPolicy", "metadata": {"name": "x"}, "spec": {"privileged": false}}
	vs := privileged_container.violations with input as psp
	count(vs) == 0
}

test_spec_privileged_of_other_kinds_is_ignored if {
	vs := privileged_container.violations with input as {"apiVersion": "v1", "kind": "Pod", "spec": {"privileged": true}}
	count(vs) == 0
}
