package kubepolicy.rules.selinux_options_test

import data.kubepolicy.rules.selinux_options as rule

pod(pod_sc, web_sc, init_sc) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {
	"securityContext": pod_sc,
	"containers": [{"name": "web", "securityContext": web_sc}],
	"initContainers": [{"name": "init", "securityContext": init_sc}],
}}

se(opts) := {"seLinuxOptions": opts}

test_allowed_types_and_level_pass if {
	count(rule.violations) == 0 with input as pod(
		se({"type": "container_t"}),
		se({"type": "container_init_t", "level": "s0:c123,c456"}),
		se({"type": "container_kvm_t"}),
	)
}

test_empty_and_null_options_pass if {
	count(rule.violations) == 0 with input as pod({}, se({}), se(null))
	count(rule.violations) == 0 with input as pod(null, {}, se({"type": "", "user": "", "role": null}))
}

test_pod_type_fails if {
	path := ["spec", "securityContext", "seLinuxOptions", "type"]
	rule.violations == {{
		"path": path,
		"message": "pod spec sets securityContext.seLinuxOptions.type \"spc_t\", which is not a container type",
		"fix": [{"op": "set", "path": path, "value": "container_t"}],
	}} with input as pod(se({"type": "spc_t"}), se({}), se({}))
}

test_container_type_fails if {
	path := ["spec", "containers", 0, "securityContext", "seLinuxOptions", "type"]
	rule.violations == {{
		"path": path,
		"message": "container \"web\" sets securityContext.seLinuxOptions.type \"somevalue\", which is not a container type",
		"fix": [{"op": "set", "path": path, "value": "container_t"}],
	}} with input as pod(se({}), se({"type": "somevalue"}), se({}))
}

test_init_and_ephemeral_types_fail if {
	vs := rule.violations with input as {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {
		"containers": [{"name": "web"}],
		"initContainers": [{"name": "init", "securityContext": se({"type": "unconfined_t"})}],
		"ephemeralContainers": [{"name": "debug", "securityContext": se({"type": "spc_t"})}],
	}}
	{v.path | some v in vs} == {
		["spec", "initContainers", 0, "securityContext", "seLinuxOptions", "type"],
		["spec", "ephemeralContainers", 0, "securityContext", "seLinuxOptions", "type"],
	}
}

test_container_engine_t_depends_on_version if {
	count(rule.violations) == 0 with input as pod(se({"type": "container_engine_t"}), {}, {})
	count(rule.violations) == 0 with input as pod(se({"type": "container_engine_t"}), {}, {}) with data.kubepolicy.config as {"kubernetesMinor": 31}
	count(rule.violations) == 1 with input as pod(se({"type": "container_engine_t"}), {}, {}) with data.kubepolicy.config as {"kubernetesMinor": 30}
}

test_user_and_role_are_removed if {
	rule.violations == {
		{
			"path": ["spec", "securityContext", "seLinuxOptions", "user"],
			"message": "pod spec sets securityContext.seLinuxOptions.user \"system_u\"",
			"fix": [{"op": "remove", "path": ["spec", "securityContext", "seLinuxOptions", "user"]}],
		},
		{
			"path": ["spec", "initContainers", 0, "securityContext", "seLinuxOptions", "role"],
			"message": "container \"init\" sets securityContext.seLinuxOptions.role \"system_r\"",
			"fix": [{"op": "remove", "path": ["spec", "initContainers", 0, "securityContext", "seLinuxOptions", "role"]}],
		},
	} with input as pod(se({"user": "system_u", "level": "s0"}), {}, se({"role": "system_r", "type": "container_t"}))
}

test_profiles_behave_the_same if {
	count(rule.violations) == 1 with input as pod(se({"type": "spc_t"}), {}, {}) with data.kubepolicy.config as {"profile": "pss-baseline"}
	count(rule.violations) == 1 with input as pod(se({"type": "spc_t"}), {}, {}) with data.kubepolicy.config as {"profile": "pss-restricted"}
}

test_odd_values_do_not_error if {
	vs := rule.violations with input as pod(se("spc_t"), se({"type": 5}), {"seLinuxOptions": []})
	{v.path | some v in vs} == {["spec", "containers", 0, "securityContext", "seLinuxOptions", "type"]}
}

test_cronjob_nesting if {
	vs := rule.violations with input as {
		"apiVersion": "batch/v1",
		"kind": "CronJob",
		"metadata": {"name": "c"},
		"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "job", "securityContext": se({"user": "u"})}]}}}}},
	}
	{v.path | some v in vs} == {["spec", "jobTemplate", "spec", "template", "spec", "containers", 0, "securityContext", "seLinuxOptions", "user"]}
}
