package kubepolicy.rules.rbac_secrets_access_test

import data.kubepolicy.rules.rbac_secrets_access as rule

role(kind, rules) := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": {"name": "r"}, "rules": rules}

all_profile := {"profile": "all"}

paths(kind, rules) := ps if {
	vs := rule.violations with input as role(kind, rules)
	ps := {v.path | some v in vs}
}

test_cluster_role_reading_secrets_fails if {
	rule.violations == {{
		"path": ["rules", 1, "resources", 1],
		"message": "rules[1] grants get, list and watch on every Secret of the cluster when bound cluster-wide",
		"fix": [],
	}} with input as role("ClusterRole", [
		{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]},
		{"apiGroups": [""], "resources": ["configmaps", "secrets"], "verbs": ["watch", "get", "list", "delete"]},
	])
}

test_write_verbs_fail if {
	every verb in ["create", "update", "patch"] {
		paths("ClusterRole", [{"apiGroups": [""], "resources": ["secrets"], "verbs": [verb]}]) == {["rules", 0, "resources", 0]}
	}
}

# Resource "*" counts (TV KSV-0041 misses it), as do apiGroups "*" and verbs "*".
test_wildcards_fail if {
	rule.violations == {{
		"path": ["rules", 0, "resources", 1],
		"message": "rules[0] grants all verbs on every Secret of the cluster when bound cluster-wide",
		"fix": [],
	}} with input as role("ClusterRole", [{"apiGroups": [""], "resources": ["pods", "*", "secrets"], "verbs": ["*"]}])
	paths("ClusterRole", [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["list"]}]) == {["rules", 0, "resources", 0]}
}

# Roles are checked under the all profile only (the strict variant of this rule).
test_role_under_all_fails if {
	rule.violations == {{
		"path": ["rules", 0, "resources", 0],
		"message": "rules[0] grants get on every Secret of the namespace",
		"fix": [],
	}} with input as role("Role", [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}])
		with data.kubepolicy.config as all_profile
}

test_role_under_recommended_and_default_passes if {
	every p in ["default", "recommended", "pss-restricted"] {
		count(rule.violations) == 0 with input as role("Role", [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}])
			with data.kubepolicy.config as {"profile": p}
	}
}

# resourceNames pins the Secrets (even ["*"], a literal name); other groups have no Secrets
# (TV ignores apiGroups); delete, deletecollection and escalate do not read or write them;
# "secrets/*" and "*/secrets" are not the secrets resource.
test_false_positive_traps_pass if {
	paths("ClusterRole", [
		{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "update"], "resourceNames": ["my-tls"]},
		{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"], "resourceNames": ["*"]},
		{"apiGroups": ["apps", "external-secrets.io"], "resources": ["secrets"], "verbs": ["get"]},
		{"resources": ["secrets"], "verbs": ["get"]},
		{"apiGroups": [""], "resources": ["secrets"], "verbs": ["delete", "deletecollection"]},
		{"apiGroups": [""], "resources": ["secrets/*", "*/secrets", "Secrets"], "verbs": ["get"]},
		{"apiGroups": [""], "resources": ["secrets"], "verbs": ["GET"]},
	]) == set()
}

test_full_wildcard_is_left_to_rbac_full_wildcard if {
	paths("ClusterRole", [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]) == set()
}

test_not_rbac_objects_pass if {
	secrets := [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}]
	count(rule.violations) == 0 with input as object.union(role("ClusterRole", secrets), {"apiVersion": "authorization.openshift.io/v1"})
	count(rule.violations) == 0 with input as object.union(role("ClusterRole", secrets), {"aggregationRule": {"clusterRoleSelectors": []}})
}
