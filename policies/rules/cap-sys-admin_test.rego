package kubepolicy.rules.cap_sys_admin_test

import data.kubepolicy.rules.cap_sys_admin

pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec}

adding(name, caps) := {"name": name, "securityContext": {"capabilities": {"add": caps}}}

add_path(type, i, j) := ["spec", type, i, "securityContext", "capabilities", "add", j]

finding(name, path, what) := {
	"path": path,
	"message": sprintf("container %q %s (securityContext.capabilities.add)", [name, what]),
	"fix": [{"op": "remove", "path": path}],
}

test_sys_admin_fails if {
	vs := cap_sys_admin.violations with input as pod({"containers": [adding("web", ["NET_BIND_SERVICE", "SYS_ADMIN"])]})
	vs == {finding("web", add_path("containers", 0, 1), "adds capability SYS_ADMIN")}
}

test_every_spelling_fails if {
	vs := cap_sys_admin.violations with input as pod({"containers": [adding("web", ["CAP_SYS_ADMIN", "sys_admin", "Cap_Sys_Admin", "ALL", "all"])]})
	vs == {
		finding("web", add_path("containers", 0, 0), "adds capability CAP_SYS_ADMIN"),
		finding("web", add_path("containers", 0, 1), "adds capability sys_admin"),
		finding("web", add_path("containers", 0, 2), "adds capability Cap_Sys_Admin"),
		finding("web", add_path("containers", 0, 3), "adds all capabilities with ALL, SYS_ADMIN included"),
		finding("web", add_path("containers", 0, 4), "adds all capabilities with all, SYS_ADMIN included"),
	}
}

test_other_capabilities_pass if {
	spec := {"containers": [
		adding("a", ["NET_ADMIN", "SYS_PTRACE", "SYS_ADMINX", "CAP_SYS"]),
		{"name": "b", "securityContext": {"capabilities": {"drop": ["SYS_ADMIN", "ALL"]}}},
	]}
	vs := cap_sys_admin.violations with input as pod(spec)
	count(vs) == 0
}

test_init_and_ephemeral_containers_fail if {
	spec := {
		"initContainers": [adding("init", ["SYS_ADMIN"])],
		"containers": [adding("web", [])],
		"ephemeralContainers": [adding("debug", ["ALL"])],
	}
	vs := cap_sys_admin.violations with input as pod(spec)
	vs == {
		finding("init", add_path("initContainers", 0, 0), "adds capability SYS_ADMIN"),
		finding("debug", add_path("ephemeralContainers", 0, 0), "adds all capabilities with ALL, SYS_ADMIN included"),
	}
}

test_cronjob_nesting if {
	cronjob := {
		"apiVersion": "batch/v1",
		"kind": "CronJob",
		"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [adding("job", ["SYS_ADMIN"])]}}}}},
	}
	vs := cap_sys_admin.violations with input as cronjob
	path := ["spec", "jobTemplate", "spec", "template", "spec", "containers", 0, "securityContext", "capabilities", "add", 0]
	vs == {finding("job", path, "adds capability SYS_ADMIN")}
}

test_every_profile_fires if {
	every p in ["default", "pss-baseline", "pss-restricted"] {
		count(cap_sys_admin.violations) == 1 with input as pod({"containers": [adding("web", ["SYS_ADMIN"])]})
			with data.kubepolicy.config as {"profile": p}
	}
}

test_odd_types_do_not_fire if {
	spec := {"containers": [
		{"name": "a", "securityContext": {"capabilities": {}}},
		{"name": "b", "securityContext": {"capabilities": null}},
		{"name": "c", "securityContext": {"capabilities": {"add": "SYS_ADMIN"}}},
		{"name": "d", "securityContext": {"capabilities": "SYS_ADMIN"}},
		adding("e", [1, null, {"SYS_ADMIN": true}]),
	]}
	vs := cap_sys_admin.violations with input as pod(spec)
	count(vs) == 0
}

psp(spec) := {"apiVersion": "policy/v1beta1", "kind": "PodSecurityPolicy", "spec": spec}

test_psp_allowed_capabilities_fail if {
	vs := cap_sys_admin.violations with input as psp({"allowedCapabilities": ["NET_BIND_SERVICE", "SYS_ADMIN", "*"]})
	vs == {
		{
			"path": ["spec", "allowedCapabilities", 1],
			"message": "PodSecurityPolicy allows containers to add SYS_ADMIN (spec.allowedCapabilities)",
			"fix": [{"op": "remove", "path": ["spec", "allowedCapabilities", 1]}],
		},
		{
			"path": ["spec", "allowedCapabilities", 2],
			"message": "PodSecurityPolicy allows containers to add every capability (\"*\"), SYS_ADMIN included (spec.allowedCapabilities)",
			"fix": [{"op": "remove", "path": ["spec", "allowedCapabilities", 2]}],
		},
	}
}

test_psp_default_add_capabilities_fail if {
	vs := cap_sys_admin.violations with input as psp({"defaultAddCapabilities": ["CAP_SYS_ADMIN"]})
	vs == {{
		"path": ["spec", "defaultAddCapabilities", 0],
		"message": "PodSecurityPolicy adds to every container CAP_SYS_ADMIN (spec.defaultAddCapabilities)",
		"fix": [{"op": "remove", "path": ["spec", "defaultAddCapabilities", 0]}],
	}}
}

test_psp_without_sys_admin_passes if {
	vs := cap_sys_admin.violations with input as psp({"allowedCapabilities": ["NET_BIND_SERVICE"], "defaultAddCapabilities": ["CHOWN"]})
	count(vs) == 0
}
