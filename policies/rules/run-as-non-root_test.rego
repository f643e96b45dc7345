package kubepolicy.rules.run_as_non_root_test

import data.kubepolicy.rules.run_as_non_root as rule

pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec}

two(pod_sc, web_sc, init_sc) := pod({
	"securityContext": pod_sc,
	"containers": [{"name": "web", "securityContext": web_sc}],
	"initContainers": [{"name": "init", "securityContext": init_sc}],
})

pod_path := ["spec", "securityContext", "runAsNonRoot"]

test_pod_level_true_passes if {
	count(rule.violations) == 0 with input as two({"runAsNonRoot": true}, {}, null)
}

test_every_container_true_passes if {
	count(rule.violations) == 0 with input as two({}, {"runAsNonRoot": true}, {"runAsNonRoot": true})
}

test_unset_everywhere_is_one_pod_finding if {
	rule.violations == {{
		"path": pod_path,
		"message": "containers \"init\", \"web\" may run as root: securityContext.runAsNonRoot is not true at pod level or on the container",
		"fix": [{"op": "set", "path": pod_path, "value": true}],
	}} with input as pod({"containers": [{"name": "web"}], "initContainers": [{"name": "init"}]})
}

test_null_pod_value_counts_as_unset if {
	vs := rule.violations with input as two({"runAsNonRoot": null}, null, {"runAsNonRoot": true})
	vs == {{
		"path": pod_path,
		"message": "container \"web\" may run as root: securityContext.runAsNonRoot is not true at pod level or on the container",
		"fix": [{"op": "set", "path": pod_path, "value": true}],
	}}
}

test_pod_level_false_fails if {
	rule.violations == {{
		"path": pod_path,
		"message": "pod spec sets securityContext.runAsNonRoot: false, inherited by containers \"init\", \"web\"",
		"fix": [{"op": "set", "path": pod_path, "value": true}],
	}} with input as two({"runAsNonRoot": false}, {}, {})
}

test_pod_level_false_overridden_by_every_container_passes if {
	count(rule.violations) == 0 with input as two({"runAsNonRoot": false}, {"runAsNonRoot": true}, {"runAsNonRoot": true})
}

test_container_false_overrides_pod_true if {
	path := ["spec", "containers", 0, "securityContext", "runAsNonRoot"]
	rule.violations == {{
		"path": path,
		"message": "container \"web\" sets securityContext.runAsNonRoot: false, so it may run as root",
		"fix": [{"op": "set", "path": path, "value": true}],
	}} with input as two({"runAsNonRoot": true}, {"runAsNonRoot": false}, {})
}

test_init_container_false_fails if {
	vs := rule.violations with input as two({"runAsNonRoot": true}, {}, {"runAsNonRoot": false})
	{v.path | some v in vs} == {["spec", "initContainers", 0, "securityContext", "runAsNonRoot"]}
}

test_container_false_with_pod_unset_is_not_blamed_on_the_pod if {
	vs := rule.violations with input as two({}, {"runAsNonRoot": false}, {"runAsNonRoot": true})
	{v.path | some v in vs} == {["spec", "containers", 0, "securityContext", "runAsNonRoot"]}
}

test_ephemeral_container_inherits if {
	vs := rule.violations with input as pod({
		"containers": [{"name": "web", "securityContext": {"runAsNonRoot": true}}],
		"ephemeralContainers": [{"name": "debug"}],
	})
	[v.message | some v in vs] == ["container \"debug\" may run as root: securityContext.runAsNonRoot is not true at pod level or on the container"]
}

test_string_true_is_not_true if {
	vs := rule.violations with input as two({"runAsNonRoot": "true"}, {}, {})
	{v.path | some v in vs} == {pod_path}
}

test_run_as_user_zero_at_pod_level if {
	path := ["spec", "securityContext", "runAsUser"]
	rule.violations == {{
		"path": path,
		"message": "pod spec sets securityContext.runAsUser: 0 (root)",
		"fix": [{"op": "set", "path": path, "value": 10001}],
	}} with input as two({"runAsNonRoot": true, "runAsUser": 0}, {}, {})
}

test_run_as_user_zero_on_containers if {
	vs := rule.violations with input as two({"runAsNonRoot": true}, {"runAsUser": 0}, {"runAsUser": 0})
	{v.path | some v in vs} == {
		["spec", "containers", 0, "securityContext", "runAsUser"],
		["spec", "initContainers", 0, "securityContext", "runAsUser"],
	}
	{v.fix[0].value | some v in vs} == {10001}
}

test_non_zero_run_as_user_passes if {
	count(rule.violations) == 0 with input as two({"runAsNonRoot": true, "runAsUser": 1000}, {"runAsUser": 1000}, {"runAsUser": "0"})
}

test_cronjob_nesting if {
	vs := rule.violations with input as {
		"apiVersion": "batch/v1",
		"kind": "CronJob",
		"metadata": {"name": "c"},
		"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "job"}]}}}}},
	}
	{v.path | some v in vs} == {["spec", "jobTemplate", "spec", "template", "spec", "securityContext", "runAsNonRoot"]}
}

test_deployment_pod_level_fix if {
	vs := rule.violations with input as {
		"apiVersion": "apps/v1",
		"kind": "Deployment",
		"metadata": {"name": "d"},
		"spec": {"template": {"spec": {"securityContext": null, "containers": [{"name": "a"}]}}},
	}
	[v.fix | some v in vs] == [[{"op": "set", "path": ["spec", "template", "spec", "securityContext", "runAsNonRoot"], "value": true}]]
}

test_psp_run_as_any_fails if {
	rule.violations == {{
		"path": ["spec", "runAsUser", "rule"],
		"message": "PodSecurityPolicy allows running as root (spec.runAsUser.rule: RunAsAny)",
		"fix": [],
	}} with input as {
		"apiVersion": "policy/v1beta1",
		"kind": "PodSecurityPolicy",
		"metadata": {"name": "psp"},
		"spec": {"runAsUser": {"rule": "RunAsAny"}},
	}
}

test_psp_must_run_as_non_root_passes if {
	count(rule.violations) == 0 with input as {
		"apiVersion": "policy/v1beta1",
		"kind": "PodSecurityPolicy",
		"metadata": {"name": "psp"},
		"spec": {"runAsUser": {"rule": "MustRunAsNonRoot"}},
	}
}
