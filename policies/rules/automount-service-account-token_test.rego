package kubepolicy.rules.automount_service_account_token_test

import data.kubepolicy.rules.automount_service_account_token as rule

pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": object.union({"containers": [{"name": "web"}]}, spec)}

test_absent_field_fails_at_the_pod_spec_key if {
	rule.violations == {{
		"path": ["spec"],
		"message": "pod mounts the token of service account \"web\" without saying so (automountServiceAccountToken not set); set it to false, or to true if the pod calls the API",
		"fix": [{"op": "set", "path": ["spec", "automountServiceAccountToken"], "value": false}],
	}} with input as pod({"serviceAccountName": "web"})
}

test_null_field_fails if {
	vs := rule.violations with input as pod({"serviceAccount": "legacy", "automountServiceAccountToken": null})
	[v.path | some v in vs] == [["spec"]]
	[v.message | some v in vs] == ["pod mounts the token of service account \"legacy\" without saying so (automountServiceAccountToken not set); set it to false, or to true if the pod calls the API"]
}

# An explicit true is a recorded decision (devantler-tech/platform PR #2860), false is the remedy
# (kubescape#2298: a pod with false still failed C-0034).
test_explicit_true_and_false_pass if {
	count(rule.violations) == 0 with input as pod({"serviceAccountName": "web", "automountServiceAccountToken": true})
	count(rule.violations) == 0 with input as pod({"serviceAccountName": "web", "automountServiceAccountToken": false})
	count(rule.violations) == 0 with input as pod({"automountServiceAccountToken": false})
}

# The default service account is reported here too; the engine keeps default-service-account's
# finding only (custom.supersedes), which the analysis tests check.
test_default_service_account_pod_is_reported_at_the_same_path if {
	vs := rule.violations with input as pod({})
	[v.path | some v in vs] == [["spec"]]
}

test_every_pod_of_a_workload if {
	vs := rule.violations with input as {
		"apiVersion": "batch/v1",
		"kind": "CronJob",
		"metadata": {"name": "c"},
		"spec": {"jobTemplate": {"spec": {"template": {"spec": {"serviceAccountName": "job", "containers": [{"name": "job"}]}}}}},
	}
	p := ["spec", "jobTemplate", "spec", "template", "spec"]
	[v.fix | some v in vs] == [[{"op": "set", "path": array.concat(p, ["automountServiceAccountToken"]), "value": false}]]
}
