package kubepolicy.rules.allow_privilege_escalation_test

import data.kubepolicy.rules.allow_privilege_escalation

pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec}

ctr(name, sc) := {"name": name, "image": "nginx", "securityContext": sc}

safe(name) := ctr(name, {"allowPrivilegeEscalation": false})

finding(name, path, problem) := {
	"path": path,
	"message": sprintf("container %q %s", [name, problem]),
	"fix": [{"op": "set", "path": path, "value": false}],
}

unset := "does not set securityContext.allowPrivilegeEscalation: false (unset allows escalation)"

ape_path(type, i) := ["spec", type, i, "securityContext", "allowPrivilegeEscalation"]

test_explicit_false_passes if {
	vs := allow_privilege_escalation.violations with input as pod({"initContainers": [safe("i")], "containers": [safe("a")]})
	count(vs) == 0
}

test_true_fails if {
	vs := allow_privilege_escalation.violations with input as pod({"containers": [ctr("web", {"allowPrivilegeEscalation": true})]})
	vs == {finding("web", ape_path("containers", 0), "sets securityContext.allowPrivilegeEscalation: true")}
}

test_unset_fails if {
	vs := allow_privilege_escalation.violations with input as pod({"containers": [ctr("web", {"runAsUser": 10001})]})
	vs == {finding("web", ape_path("containers", 0), unset)}
}

test_no_security_context_fails if {
	vs := allow_privilege_escalation.violations with input as pod({"containers": [{"name": "web"}]})
	vs == {finding("web", ape_path("containers", 0), unset)}
}

test_null_counts_as_unset if {
	spec := {"containers": [ctr("a", {"allowPrivilegeEscalation": null}), ctr("b", null)]}
	vs := allow_privilege_escalation.violations with input as pod(spec)
	vs == {finding("a", ape_path("containers", 0), unset), finding("b", ape_path("containers", 1), unset)}
}

test_string_false_is_not_false if {
	vs := allow_privilege_escalation.violations with input as pod({"containers": [ctr("web", {"allowPrivilegeEscalation": "false"})]})
	vs == {finding("web", ape_path("containers", 0), `sets securityContext.allowPrivilegeEscalation to "false", not false`)}
}

test_pod_level_value_does_not_count if {
	# allowPrivilegeEscalation exists only on containers.
	spec := {"securityContext": {"allowPrivilegeEscalation": false}, "containers": [ctr("web", {})]}
	vs := allow_privilege_escalation.violations with input as pod(spec)
	vs == {finding("web", ape_path("containers", 0), unset)}
}

test_init_and_ephemeral_containers_are_checked if {
	spec := {
		"initContainers": [ctr("init", {"allowPrivilegeEscalation": true})],
		"containers": [safe("web")],
		"ephemeralContainers": [{"name": "debug"}],
	}
	vs := allow_privilege_escalation.violations with input as pod(spec)
	vs == {
		finding("init", ape_path("initContainers", 0), "sets securityContext.allowPrivilegeEscalation: true"),
		finding("debug", ape_path("ephemeralContainers", 0), unset),
	}
}

test_cronjob_nesting if {
	cronjob := {
		"apiVersion": "batch/v1",
		"kind": "CronJob",
		"metadata": {"name": "c"},
		"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [safe("a"), {"name": "b"}]}}}}},
	}
	vs := allow_privilege_escalation.violations with input as cronjob
	path := ["spec", "jobTemplate", "spec", "template", "spec", "containers", 1, "securityContext", "allowPrivilegeEscalation"]
	vs == {finding("b", path, unset)}
}

test_windows_pod_is_skipped if {
	spec := {"os": {"name": "windows"}, "containers": [{"name": "web"}, ctr("b", {"allowPrivilegeEscalation": true})]}
	vs := allow_privilege_escalation.violations with input as pod(spec)
	count(vs) == 0
}

test_linux_pod_is_checked if {
	spec := {"os": {"name": "linux"}, "containers": [{"name": "web"}]}
	vs := allow_privilege_escalation.violations with input as pod(spec)
	vs == {finding("web", ape_path("containers", 0), unset)}
}

psp(spec) := {"apiVersion": "policy/v1beta1", "kind": "PodSecurityPolicy", "metadata": {"name": "x"}, "spec": spec}

psp_finding(state) := {
	"path": ["spec", "allowPrivilegeEscalation"],
	"message": sprintf("PodSecurityPolicy allows privilege escalation (spec.allowPrivilegeEscalation %s)", [state]),
	"fix": [{"op": "set", "path": ["spec", "allowPrivilegeEscalation"], "value": false}],
}

test_psp_unset_fails if {
	vs := allow_privilege_escalation.violations with input as psp({"privileged": false})
	vs == {psp_finding("unset")}
}

test_psp_true_fails if {
	vs := allow_privilege_escalation.violations with input as psp({"allowPrivilegeEscalation": true})
	vs == {psp_finding(": true")}
}

test_psp_false_passes if {
	vs := allow_privilege_escalation.violations with input as psp({"allowPrivilegeEscalation": false})
	count(vs) == 0
}

test_odd_container_types_do_not_error if {
	spec := {"containers": ["web", 1], "initContainers": {"name": "x"}}
	vs := allow_privilege_escalation.violations with input as pod(spec)
	count(vs) == 0
}
