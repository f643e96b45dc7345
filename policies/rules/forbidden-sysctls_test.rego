package kubepolicy.rules.forbidden_sysctls_test

import data.kubepolicy.rules.forbidden_sysctls as rule

pod(names) := {
	"apiVersion": "v1",
	"kind": "Pod",
	"metadata": {"name": "p"},
	"spec": {
		"securityContext": {"sysctls": [{"name": n, "value": "1"} | some n in names]},
		"containers": [{"name": "web"}],
	},
}

test_safe_sysctls_pass if {
	count(rule.violations) == 0 with input as pod([
		"kernel.shm_rmid_forced",
		"net.ipv4.ip_local_port_range",
		"net.ipv4.tcp_syncookies",
		"net.ipv4.ping_group_range",
		"net.ipv4.ip_unprivileged_port_start",
		"net.ipv4.ip_local_reserved_ports",
		"net.ipv4.tcp_keepalive_time",
		"net.ipv4.tcp_fin_timeout",
		"net.ipv4.tcp_keepalive_intvl",
		"net.ipv4.tcp_keepalive_probes",
		"net.ipv4.tcp_rmem",
		"net.ipv4.tcp_wmem",
		"net.ipv4.tcp_slow_start_after_idle",
		"net.ipv4.tcp_notsent_lowat",
	])
}

test_unsafe_sysctl_fails if {
	path := ["spec", "securityContext", "sysctls", 1]
	rule.violations == {{
		"path": path,
		"message": "pod spec sets securityContext.sysctls \"kernel.msgmax\", which is not in the safe set of Kubernetes 1.37",
		"fix": [{"op": "remove", "path": path}],
	}} with input as pod(["kernel.shm_rmid_forced", "kernel.msgmax"])
}

test_every_unsafe_entry_is_reported if {
	vs := rule.violations with input as pod(["othersysctl", "net.ipv4.tcp_syncookies", "vm.swappiness"])
	{v.path | some v in vs} == {["spec", "securityContext", "sysctls", 0], ["spec", "securityContext", "sysctls", 2]}
}

test_safe_set_follows_the_version if {
	every case in [
		["net.ipv4.ip_local_reserved_ports", 26, 27],
		["net.ipv4.tcp_keepalive_time", 28, 29],
		["net.ipv4.tcp_keepalive_probes", 28, 29],
		["net.ipv4.tcp_wmem", 31, 32],
		["net.ipv4.tcp_slow_start_after_idle", 36, 37],
		["net.ipv4.tcp_notsent_lowat", 36, 37],
	] {
		count(rule.violations) == 1 with input as pod([case[0]]) with data.kubepolicy.config as {"kubernetesMinor": case[1]}
		count(rule.violations) == 0 with input as pod([case[0]]) with data.kubepolicy.config as {"kubernetesMinor": case[2]}
	}
}

test_message_names_configured_version if {
	vs := rule.violations with input as pod(["net.ipv4.tcp_rmem"]) with data.kubepolicy.config as {"kubernetesMinor": 29}
	[v.message | some v in vs] == ["pod spec sets securityContext.sysctls \"net.ipv4.tcp_rmem\", which is not in the safe set of Kubernetes 1.29"]
}

test_profile_does_not_change_the_safe_set if {
	count(rule.violations) == 1 with input as pod(["kernel.msgmax"]) with data.kubepolicy.config as {"profile": "pss-baseline"}
}

test_cronjob_nesting if {
	vs := rule.violations with input as {
		"apiVersion": "batch/v1",
		"kind": "CronJob",
		"metadata": {"name": "c"},
		"spec": {"jobTemplate": {"spec": {"template": {"spec": {
			"securityContext": {"sysctls": [{"name": "kernel.msgmax", "value": "1"}]},
			"containers": [{"name": "job"}],
		}}}}},
	}
	[v.fix | some v in vs] == [[{"op": "remove", "path": ["spec", "jobTemplate", "spec", "template", "spec", "securityContext", "sysctls", 0]}]]
}

test_odd_values_do_not_error if {
	vs := rule.violations with input as {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {
		"securityContext": {"sysctls": ["kernel.msgmax", {"value": "1"}, {"name": 5}]},
		"containers": [{"name": "web"}],
	}}
	{v.path | some v in vs} == {["spec", "securityContext", "sysctls", 1], ["spec", "securityContext", "sysctls", 2]}
	count(rule.violations) == 0 with input as {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"securityContext": {"sysctls": null}}}
	count(rule.violations) == 0 with input as {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"securityContext": null}}
}

test_psp_allowed_unsafe_sysctls_fail if {
	rule.violations == {
		{
			"path": ["spec", "allowedUnsafeSysctls", 0],
			"message": "PodSecurityPolicy allows the unsafe sysctl \"kernel.msg*\" (spec.allowedUnsafeSysctls)",
			"fix": [{"op": "remove", "path": ["spec", "allowedUnsafeSysctls", 0]}],
		},
		{
			"path": ["spec", "allowedUnsafeSysctls", 1],
			"message": "PodSecurityPolicy allows the unsafe sysctl \"net.core.somaxconn\" (spec.allowedUnsafeSysctls)",
			"fix": [{"op": "remove", "path": ["spec", "allowedUnsafeSysctls", 1]}],
		},
	} with input as {
		"apiVersion": "policy/v1beta1",
		"kind": "PodSecurityPolicy",
		"metadata": {"name": "psp"},
		"spec": {"allowedUnsafeSysctls": ["kernel.msg*", "net.core.somaxconn"]},
	}
}

test_psp_without_unsafe_sysctls_passes if {
	count(rule.violations) == 0 with input as {
		"apiVersion": "policy/v1beta1",
		"kind": "PodSecurityPolicy",
		"metadata": {"name": "psp"},
		"spec": {"allowedUnsafeSysctls": [], "forbiddenSysctls": ["*"]},
	}
}
