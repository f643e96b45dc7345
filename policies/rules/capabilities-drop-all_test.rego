package kubepolicy.rules.capabilities_drop_all_test

import data.kubepolicy.rules.capabilities_drop_all as rule

pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec}

drop_all := {"capabilities": {"drop": ["ALL"]}}

drop_path(prefix) := array.concat(prefix, ["securityContext", "capabilities", "drop"])

test_drop_all_passes if {
	count(rule.violations) == 0 with input as pod({
		"containers": [{"name": "web", "securityContext": drop_all}],
		"initContainers": [{"name": "init", "securityContext": {"capabilities": {"drop": ["NET_RAW", "ALL"]}}}],
	})
}

test_missing_security_context_fails if {
	rule.violations == {{
		"path": ["spec", "containers", 0, "securityContext", "capabilities", "drop"],
		"message": "container \"web\" does not drop ALL capabilities (securityContext.capabilities.drop)",
		"fix": [{"op": "add", "path": ["spec", "containers", 0, "securityContext", "capabilities", "drop"], "value": "ALL"}],
	}} with input as pod({"containers": [{"name": "web"}]})
}

test_empty_capabilities_fails if {
	vs := rule.violations with input as pod({"containers": [{"name": "web", "securityContext": {"capabilities": {}}}]})
	{v.path | some v in vs} == {drop_path(["spec", "containers", 0])}
}

test_null_security_context_and_capabilities_fail_without_error if {
	vs := rule.violations with input as pod({"containers": [
		{"name": "a", "securityContext": null},
		{"name": "b", "securityContext": {"capabilities": null}},
	]})
	{v.path | some v in vs} == {drop_path(["spec", "containers", 0]), drop_path(["spec", "containers", 1])}
}

test_drop_without_all_fails if {
	vs := rule.violations with input as pod({"containers": [{
		"name": "web",
		"securityContext": {"capabilities": {"drop": ["SYS_ADMIN", "NET_RAW", "CHOWN"]}},
	}]})
	vs == {{
		"path": drop_path(["spec", "containers", 0]),
		"message": "container \"web\" does not drop ALL capabilities (securityContext.capabilities.drop)",
		"fix": [{"op": "add", "path": drop_path(["spec", "containers", 0]), "value": "ALL"}],
	}}
}

# "all" keeps failing under every profile, the PSS ones included, and the message says why.
test_lower_case_all_is_not_all if {
	every config in [{}, {"profile": "pss-restricted"}, {"profile": "recommended"}] {
		rule.violations == {{
			"path": drop_path(["spec", "containers", 0]),
			"message": "container \"web\" drops \"all\", not \"ALL\" (securityContext.capabilities.drop): capability names are case-sensitive, and only the exact \"ALL\" drops every capability",
			"fix": [{"op": "add", "path": drop_path(["spec", "containers", 0]), "value": "ALL"}],
		}} with input as pod({"containers": [{"name": "web", "securityContext": {"capabilities": {"drop": ["NET_RAW", "all"]}}}]})
			with data.kubepolicy.config as config
	}
}

test_mixed_case_all_is_named if {
	vs := rule.violations with input as pod({"containers": [{"name": "web", "securityContext": {"capabilities": {"drop": ["All"]}}}]})
	[v.message | some v in vs] == ["container \"web\" drops \"All\", not \"ALL\" (securityContext.capabilities.drop): capability names are case-sensitive, and only the exact \"ALL\" drops every capability"]
}

test_drop_that_is_not_a_list_is_replaced if {
	vs := rule.violations with input as pod({"containers": [{"name": "web", "securityContext": {"capabilities": {"drop": "ALL"}}}]})
	[v.fix | some v in vs] == [[{"op": "set", "path": drop_path(["spec", "containers", 0]), "value": ["ALL"]}]]
}

test_init_and_ephemeral_containers_fail if {
	vs := rule.violations with input as pod({
		"containers": [{"name": "web", "securityContext": drop_all}],
		"initContainers": [{"name": "init"}],
		"ephemeralContainers": [{"name": "debug", "securityContext": {}}],
	})
	{v.path | some v in vs} == {drop_path(["spec", "initContainers", 0]), drop_path(["spec", "ephemeralContainers", 0])}
}

test_cronjob_nesting if {
	vs := rule.violations with input as {
		"apiVersion": "batch/v1",
		"kind": "CronJob",
		"metadata": {"name": "c"},
		"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "job"}]}}}}},
	}
	{v.path | some v in vs} == {drop_path(["spec", "jobTemplate", "spec", "template", "spec", "containers", 0])}
}

test_deployment_each_container if {
	vs := rule.violations with input as {
		"apiVersion": "apps/v1",
		"kind": "Deployment",
		"metadata": {"name": "d"},
		"spec": {"template": {"spec": {"containers": [{"name": "a", "securityContext": drop_all}, {"name": "b"}]}}},
	}
	{v.path | some v in vs} == {drop_path(["spec", "template", "spec", "containers", 1])}
}

test_windows_pod_is_skipped if {
	count(rule.violations) == 0 with input as pod({"os": {"name": "windows"}, "containers": [{"name": "web"}]})
}

test_linux_pod_with_os_is_checked if {
	count(rule.violations) == 1 with input as pod({"os": {"name": "linux"}, "containers": [{"name": "web"}]})
}

test_psp_without_required_drop_all_fails if {
	rule.violations == {{
		"path": ["spec", "requiredDropCapabilities"],
		"message": "PodSecurityPolicy does not require dropping ALL capabilities (spec.requiredDropCapabilities)",
		"fix": [{"op": "add", "path": ["spec", "requiredDropCapabilities"], "value": "ALL"}],
	}} with input as {
		"apiVersion": "policy/v1beta1",
		"kind": "PodSecurityPolicy",
		"metadata": {"name": "psp"},
		"spec": {"requiredDropCapabilities": ["NET_RAW"]},
	}
}

test_psp_missing_field_fails if {
	vs := rule.violations with input as {"apiVersion": "policy/v1beta1", "kind": "PodSecurityPolicy", "metadata": {"name": "psp"}, "spec": {}}
	{v.path | some v in vs} == {["spec", "requiredDropCapabilities"]}
}

test_psp_with_required_drop_all_passes if {
	count(rule.violations) == 0 with input as {
		"apiVersion": "policy/v1beta1",
		"kind": "PodSecurityPolicy",
		"metadata": {"name": "psp"},
		"spec": {"requiredDropCapabilities": ["ALL"]},
	}
}

test_non_workload_is_ignored if {
	count(rule.violations) == 0 with input as {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "b"}}
}
