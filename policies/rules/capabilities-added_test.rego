package kubepolicy.rules.capabilities_added_test

import data.kubepolicy.rules.capabilities_added

pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec}

adding(name, caps) := {"name": name, "securityContext": {"capabilities": {"add": caps}}}

add_path(type, i, j) := ["spec", type, i, "securityContext", "capabilities", "add", j]

baseline_caps := [
	"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
	"NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
]

finding(name, path, cap, set) := {
	"path": path,
	"message": sprintf(
		"container %q adds capability %s (securityContext.capabilities.add), outside the allowed set: %s",
		[name, cap, set],
	),
	"fix": [{"op": "remove", "path": path}],
}

only_nbs := "NET_BIND_SERVICE only"

bl := "the Pod Security Standards baseline set"

baseline_cfg := {"profile": "pss-baseline"}

restricted_cfg := {"profile": "pss-restricted"}

test_default_allows_net_bind_service if {
	vs := capabilities_added.violations with input as pod({"containers": [adding("web", ["NET_BIND_SERVICE"])]})
	count(vs) == 0
}

test_default_rejects_baseline_capabilities if {
	vs := capabilities_added.violations with input as pod({"containers": [adding("web", ["NET_BIND_SERVICE", "CHOWN", "NET_RAW"])]})
	vs == {
		finding("web", add_path("containers", 0, 1), "CHOWN", only_nbs),
		finding("web", add_path("containers", 0, 2), "NET_RAW", only_nbs),
	}
}

test_restricted_rejects_baseline_capabilities if {
	vs := capabilities_added.violations with input as pod({"containers": [adding("web", ["KILL"])]}) with data.kubepolicy.config as restricted_cfg
	vs == {finding("web", add_path("containers", 0, 0), "KILL", only_nbs)}
}

test_restricted_allows_net_bind_service if {
	vs := capabilities_added.violations with input as pod({"containers": [adding("web", ["NET_BIND_SERVICE"])]}) with data.kubepolicy.config as restricted_cfg
	count(vs) == 0
}

test_baseline_allows_the_baseline_set if {
	vs := capabilities_added.violations with input as pod({"initContainers": [adding("i", baseline_caps)], "containers": [adding("web", baseline_caps)]})
		with data.kubepolicy.config as baseline_cfg
	count(vs) == 0
}

test_baseline_rejects_other_capabilities if {
	vs := capabilities_added.violations with input as pod({"containers": [adding("web", ["CHOWN", "NET_RAW"])]}) with data.kubepolicy.config as baseline_cfg
	vs == {finding("web", add_path("containers", 0, 1), "NET_RAW", bl)}
}

test_names_are_exact_and_case_sensitive if {
	vs := capabilities_added.violations with input as pod({"containers": [adding("web", ["chown", "CAP_CHOWN", "net_bind_service"])]})
		with data.kubepolicy.config as baseline_cfg
	vs == {
		finding("web", add_path("containers", 0, 0), "chown", bl),
		finding("web", add_path("containers", 0, 1), "CAP_CHOWN", bl),
		finding("web", add_path("containers", 0, 2), "net_bind_service", bl),
	}
}

test_sys_admin_is_reported_at_the_same_path_as_cap_sys_admin if {
	vs := capabilities_added.violations with input as pod({"containers": [adding("web", ["SYS_ADMIN"])]})
	vs == {finding("web", add_path("containers", 0, 0), "SYS_ADMIN", only_nbs)}
}

test_init_and_ephemeral_containers_are_checked if {
	spec := {
		"initContainers": [adding("init", ["NET_RAW"])],
		"containers": [adding("web", ["NET_BIND_SERVICE"])],
		"ephemeralContainers": [adding("debug", ["SYS_PTRACE"])],
	}
	vs := capabilities_added.violations with input as pod(spec)
	vs == {
		finding("init", add_path("initContainers", 0, 0), "NET_RAW", only_nbs),
		finding("debug", add_path("ephemeralContainers", 0, 0), "SYS_PTRACE", only_nbs),
	}
}

test_cronjob_nesting if {
	cronjob := {
		"apiVersion": "batch/v1",
		"kind": "CronJob",
		"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [adding("job", ["NET_ADMIN"])]}}}}},
	}
	vs := capabilities_added.violations with input as cronjob
	path := ["spec", "jobTemplate", "spec", "template", "spec", "containers", 0, "securityContext", "capabilities", "add", 0]
	vs == {finding("job", path, "NET_ADMIN", only_nbs)}
}

test_windows_pods_use_the_baseline_set if {
	spec := {"os": {"name": "windows"}, "containers": [adding("web", ["CHOWN", "NET_RAW"])]}
	every cfg in [{}, restricted_cfg, baseline_cfg] {
		vs := capabilities_added.violations with input as pod(spec) with data.kubepolicy.config as cfg
		vs == {finding("web", add_path("containers", 0, 1), "NET_RAW", bl)}
	}
}

test_odd_types_do_not_fire if {
	spec := {"containers": [
		{"name": "a", "securityContext": {"capabilities": {}}},
		{"name": "b", "securityContext": {"capabilities": {"add": null}}},
		{"name": "c", "securityContext": {"capabilities": {"add": "NET_RAW"}}},
		{"name": "d", "securityContext": null},
		adding("e", [1, null, ["NET_RAW"]]),
	]}
	vs := capabilities_added.violations with input as pod(spec)
	count(vs) == 0
}

psp(caps) := {"apiVersion": "policy/v1beta1", "kind": "PodSecurityPolicy", "spec": {"allowedCapabilities": caps}}

psp_finding(j, cap, set) := {
	"path": ["spec", "allowedCapabilities", j],
	"message": sprintf(
		"PodSecurityPolicy allows containers to add %s (spec.allowedCapabilities), outside the allowed set: %s",
		[cap, set],
	),
	"fix": [{"op": "remove", "path": ["spec", "allowedCapabilities", j]}],
}

test_psp_beyond_the_set_fails if {
	vs := capabilities_added.violations with input as psp(["NET_BIND_SERVICE", "CHOWN", "*"])
	vs == {psp_finding(1, "CHOWN", only_nbs), psp_finding(2, "*", only_nbs)}
}

test_psp_baseline_profile_uses_the_baseline_set if {
	vs := capabilities_added.violations with input as psp(["CHOWN", "NET_RAW"]) with data.kubepolicy.config as baseline_cfg
	vs == {psp_finding(1, "NET_RAW", bl)}
}

test_psp_within_the_set_passes if {
	count(capabilities_added.violations) == 0 with input as psp(["NET_BIND_SERVICE"])
	count(capabilities_added.violations) == 0 with input as psp([])
	count(capabilities_added.violations) == 0 with input as {"apiVersion": "policy/v1beta1", "kind": "PodSecurityPolicy", "spec": {}}
}
