package kubepolicy.rules.rbac_full_wildcard_test

import data.kubepolicy.rules.rbac_full_wildcard as rule

role(kind, rules) := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": {"name": "r"}, "rules": rules}

everything := {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}

test_cluster_role_full_wildcard_fails if {
	rule.violations == {{
		"path": ["rules", 0, "resources", 0],
		"message": "rules[0] grants every verb on every resource of every API group (apiGroups, resources and verbs are \"*\"): cluster-admin equivalent when bound cluster-wide",
		"fix": [],
	}} with input as role("ClusterRole", [everything])
}

test_role_full_wildcard_fails if {
	rule.violations == {{
		"path": ["rules", 0, "resources", 0],
		"message": "rules[0] grants every verb on every resource of every API group (apiGroups, resources and verbs are \"*\"): every permission in the namespace",
		"fix": [],
	}} with input as role("Role", [everything])
}

# Every PolicyRule is read (CK CKV_K8S_49 reads only rules[0]); the first "*" of resources is
# highlighted; one finding per PolicyRule.
test_later_policy_rules_and_the_first_star if {
	vs := rule.violations with input as role("ClusterRole", [
		{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]},
		{"apiGroups": ["apps", "*"], "resources": ["deployments", "*", "*"], "verbs": ["get", "*"]},
	])
	{v.path | some v in vs} == {["rules", 1, "resources", 1]}
}

test_deprecated_rbac_versions_fail if {
	every api in ["rbac.authorization.k8s.io/v1beta1", "rbac.authorization.k8s.io/v1alpha1"] {
		count(rule.violations) == 1 with input as object.union(role("ClusterRole", [everything]), {"apiVersion": api})
	}
}

# KS C-0035 counts apiGroups [""] as "all"; it is the core group only. "*/*" is not a wildcard.
test_partial_wildcards_pass if {
	every r in [
		{"apiGroups": [""], "resources": ["*"], "verbs": ["*"]},
		{"apiGroups": ["*"], "resources": ["*/*"], "verbs": ["*"]},
		{"apiGroups": ["*"], "resources": ["pods/*"], "verbs": ["*"]},
		{"apiGroups": ["*"], "resources": ["*"], "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"]},
		{"apiGroups": ["*"], "verbs": ["*"], "nonResourceURLs": ["*"]},
	] {
		count(rule.violations) == 0 with input as role("ClusterRole", [r])
	}
}

test_not_rbac_objects_pass if {
	count(rule.violations) == 0 with input as object.union(role("ClusterRole", [everything]), {"apiVersion": "authorization.openshift.io/v1"})
	count(rule.violations) == 0 with input as object.union(role("ClusterRole", [everything]), {"aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"a": "b"}}]}})
	count(rule.violations) == 0 with input as {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "rules": [everything]}
	count(rule.violations) == 0 with input as role("ClusterRole", ["*", null, {"apiGroups": "*", "resources": "*", "verbs": "*"}])
}
