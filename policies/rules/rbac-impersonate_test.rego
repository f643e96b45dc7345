package kubepolicy.rules.rbac_impersonate_test

import data.kubepolicy.rules.rbac_impersonate as rule

role(kind, rules) := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": {"name": "r"}, "rules": rules}

paths(rules) := ps if {
	vs := rule.violations with input as role("ClusterRole", rules)
	ps := {v.path | some v in vs}
}

# The usual core group (TV KSV-0043 requires apiGroups "*" and misses it).
test_impersonate_users_fails if {
	rule.violations == {{
		"path": ["rules", 1, "verbs", 1],
		"message": "rules[1] grants impersonate on users, groups and serviceaccounts: its subjects can act as any of them, with their permissions",
		"fix": [],
	}} with input as role("ClusterRole", [
		{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]},
		{"apiGroups": [""], "resources": ["users", "groups", "serviceaccounts"], "verbs": ["get", "impersonate"]},
	])
}

test_authentication_group_fails if {
	rule.violations == {{
		"path": ["rules", 0, "verbs", 0],
		"message": "rules[0] grants impersonate on uids and userextras: its subjects can act as any of them, with their permissions",
		"fix": [],
	}} with input as role("Role", [{"apiGroups": ["authentication.k8s.io"], "resources": ["uids", "userextras/scopes"], "verbs": ["impersonate"]}])
}

test_wildcards_fail if {
	vs := rule.violations with input as role("ClusterRole", [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["list", "impersonate"]}])
	[v.message | some v in vs] == ["rules[0] grants impersonate on users, groups, serviceaccounts, uids and userextras: its subjects can act as any of them, with their permissions"]
	paths([{"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["*"]}]) == {["rules", 0, "verbs", 0]}
}

# resourceNames pins the identities (["*"] is a literal name); identities live in the core and
# authentication.k8s.io groups only; "userextras" alone is not a userextras/<key> resource.
test_false_positive_traps_pass if {
	paths([
		{"apiGroups": [""], "resources": ["users"], "verbs": ["impersonate"], "resourceNames": ["jane"]},
		{"apiGroups": [""], "resources": ["groups"], "verbs": ["impersonate"], "resourceNames": ["*"]},
		{"apiGroups": ["authentication.k8s.io"], "resources": ["users", "groups", "userextras"], "verbs": ["impersonate"]},
		{"apiGroups": [""], "resources": ["uids", "pods"], "verbs": ["impersonate"]},
		{"apiGroups": [""], "resources": ["users"], "verbs": ["get", "list"]},
		{"resources": ["users"], "verbs": ["impersonate"]},
	]) == set()
}

test_full_wildcard_is_left_to_rbac_full_wildcard if {
	paths([{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]) == set()
}

test_not_rbac_objects_pass if {
	count(rule.violations) == 0 with input as object.union(
		role("ClusterRole", [{"apiGroups": [""], "resources": ["users"], "verbs": ["impersonate"]}]),
		{"apiVersion": "authorization.openshift.io/v1"},
	)
}
