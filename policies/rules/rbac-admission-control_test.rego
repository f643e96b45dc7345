package kubepolicy.rules.rbac_admission_control_test

import data.kubepolicy.rules.rbac_admission_control as rule

role(kind, rules) := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": {"name": "r"}, "rules": rules}

group := "admissionregistration.k8s.io"

paths(rules) := ps if {
	vs := rule.violations with input as role("ClusterRole", rules)
	ps := {v.path | some v in vs}
}

test_webhook_writer_fails if {
	rule.violations == {{
		"path": ["rules", 1, "resources", 0],
		"message": "rules[1] grants update and patch on mutatingwebhookconfigurations and validatingwebhookconfigurations: its subjects can rewrite or switch off admission webhooks",
		"fix": [],
	}} with input as role("ClusterRole", [
		{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]},
		{"apiGroups": [group], "resources": ["validatingwebhookconfigurations", "mutatingwebhookconfigurations"], "verbs": ["get", "patch", "update"]},
	])
}

# ValidatingAdmissionPolicies are checked too (every peer ignores them).
test_policy_writer_fails if {
	rule.violations == {{
		"path": ["rules", 0, "resources", 1],
		"message": "rules[0] grants create on validatingadmissionpolicies and mutatingadmissionpolicybindings: its subjects can rewrite or switch off admission policies",
		"fix": [],
	}} with input as role("ClusterRole", [{"apiGroups": [group], "resources": ["customresourcedefinitions", "validatingadmissionpolicies", "mutatingadmissionpolicybindings"], "verbs": ["create"]}])
	every verb in ["delete", "deletecollection"] {
		paths([{"apiGroups": [group], "resources": ["validatingadmissionpolicybindings"], "verbs": [verb]}]) == {["rules", 0, "resources", 0]}
	}
}

test_wildcards_fail if {
	rule.violations == {{
		"path": ["rules", 0, "resources", 0],
		"message": "rules[0] grants all verbs on every admissionregistration.k8s.io resource: its subjects can rewrite or switch off admission webhooks and admission policies",
		"fix": [],
	}} with input as role("ClusterRole", [{"apiGroups": [group], "resources": ["*"], "verbs": ["*"]}])
	paths([{"apiGroups": ["*"], "resources": ["mutatingwebhookconfigurations"], "verbs": ["patch"]}]) == {["rules", 0, "resources", 0]}
}

# Roles cannot grant cluster-scoped resources; read verbs, resourceNames (a controller patching
# its own webhook, pinned), other groups and lookalike names pass.
test_false_positive_traps_pass if {
	count(rule.violations) == 0 with input as role("Role", [{"apiGroups": [group], "resources": ["*"], "verbs": ["*"]}])
	paths([
		{"apiGroups": [group], "resources": ["mutatingwebhookconfigurations"], "verbs": ["get", "list", "watch"]},
		{"apiGroups": [group], "resources": ["mutatingwebhookconfigurations"], "verbs": ["patch"], "resourceNames": ["istio-sidecar-injector"]},
		{"apiGroups": [""], "resources": ["mutatingwebhookconfigurations"], "verbs": ["patch"]},
		{"apiGroups": [group], "resources": ["webhookconfigurations", "mutatingwebhookconfigurations/status", "*/status"], "verbs": ["patch"]},
	]) == set()
}

test_full_wildcard_is_left_to_rbac_full_wildcard if {
	paths([{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]) == set()
}
