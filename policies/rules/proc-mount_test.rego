package kubepolicy.rules.proc_mount_test

import data.kubepolicy.rules.proc_mount as rule

baseline := {"profile": "pss-baseline"}

restricted := {"profile": "pss-restricted"}

pod(host_users, web_mount, init_mount) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {
	"hostUsers": host_users,
	"containers": [{"name": "web", "securityContext": {"procMount": web_mount}}],
	"initContainers": [{"name": "init", "securityContext": {"procMount": init_mount}}],
}}

web_path := ["spec", "containers", 0, "securityContext", "procMount"]

init_path := ["spec", "initContainers", 0, "securityContext", "procMount"]

test_default_and_unset_pass if {
	every config in [{}, baseline, restricted] {
		count(rule.violations) == 0 with input as pod(null, "Default", null) with data.kubepolicy.config as config
	}
}

test_unmasked_fails_in_default_profile if {
	rule.violations == {{
		"path": web_path,
		"message": "container \"web\" sets securityContext.procMount \"Unmasked\", which unmasks /proc",
		"fix": [{"op": "set", "path": web_path, "value": "Default"}],
	}} with input as pod(false, "Unmasked", "Default")
}

test_restricted_forbids_unmasked_even_in_a_user_namespace if {
	vs := rule.violations with input as pod(false, "Default", "Unmasked") with data.kubepolicy.config as restricted
	[v.path | some v in vs] == [init_path]
}

test_baseline_tolerates_unmasked_in_a_user_namespace if {
	count(rule.violations) == 0 with input as pod(false, "Unmasked", "Unmasked") with data.kubepolicy.config as baseline
}

test_baseline_unmasked_with_host_users_fails if {
	vs := rule.violations with input as pod(true, "Unmasked", null) with data.kubepolicy.config as baseline
	vs == {{
		"path": web_path,
		"message": "container \"web\" sets securityContext.procMount \"Unmasked\", which unmasks /proc without a user namespace (hostUsers: false)",
		"fix": [{"op": "set", "path": web_path, "value": "Default"}],
	}}
	vs2 := rule.violations with input as pod(null, null, "Unmasked") with data.kubepolicy.config as baseline
	[v.path | some v in vs2] == [init_path]
}

test_baseline_before_1_35_requires_default if {
	vs := rule.violations with input as pod(false, "Unmasked", null)
		with data.kubepolicy.config as {"profile": "pss-baseline", "kubernetesMinor": 34}
	[v.message | some v in vs] == ["container \"web\" sets securityContext.procMount \"Unmasked\", which unmasks /proc"]
}

test_other_values_fail_everywhere if {
	vs := rule.violations with input as pod(false, "Masked", null) with data.kubepolicy.config as baseline
	[v.message | some v in vs] == ["container \"web\" sets securityContext.procMount \"Masked\"; only Default is allowed"]
}

test_ephemeral_and_cronjob if {
	vs := rule.violations with input as {
		"apiVersion": "batch/v1",
		"kind": "CronJob",
		"metadata": {"name": "c"},
		"spec": {"jobTemplate": {"spec": {"template": {"spec": {
			"containers": [{"name": "job"}],
			"ephemeralContainers": [{"name": "debug", "securityContext": {"procMount": "Unmasked"}}],
		}}}}},
	}
	{v.path | some v in vs} == {["spec", "jobTemplate", "spec", "template", "spec", "ephemeralContainers", 0, "securityContext", "procMount"]}
}

test_null_security_context_does_not_error if {
	count(rule.violations) == 0 with input as {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "web", "securityContext": null}]}}
}
