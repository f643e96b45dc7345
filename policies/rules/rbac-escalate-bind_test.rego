package kubepolicy.rules.rbac_escalate_bind_test

import data.kubepolicy.rules.rbac_escalate_bind as rule

role(kind, rules) := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": {"name": "r"}, "rules": rules}

rbac_group := "rbac.authorization.k8s.io"

paths(rules) := ps if {
	vs := rule.violations with input as role("ClusterRole", rules)
	ps := {v.path | some v in vs}
}

test_escalate_fails if {
	rule.violations == {{
		"path": ["rules", 1, "verbs", 2],
		"message": "rules[1] grants escalate on roles and clusterroles: its subjects can add any permission to a role they can edit",
		"fix": [],
	}} with input as role("ClusterRole", [
		{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]},
		{"apiGroups": [rbac_group], "resources": ["clusterroles", "roles"], "verbs": ["get", "update", "escalate"]},
	])
}

test_bind_fails if {
	rule.violations == {{
		"path": ["rules", 0, "verbs", 0],
		"message": "rules[0] grants bind on roles: with no resourceNames, its subjects can bind any role, cluster-admin included",
		"fix": [],
	}} with input as role("Role", [{"apiGroups": [rbac_group], "resources": ["roles"], "verbs": ["bind"]}])
}

test_star_verb_fails if {
	rule.violations == {{
		"path": ["rules", 0, "verbs", 1],
		"message": "rules[0] grants escalate and bind on clusterroles: its subjects can add any permission to a role they can edit; with no resourceNames, its subjects can bind any role, cluster-admin included",
		"fix": [],
	}} with input as role("ClusterRole", [{"apiGroups": ["*"], "resources": ["clusterroles"], "verbs": ["get", "*"]}])
	paths([{"apiGroups": [rbac_group], "resources": ["*"], "verbs": ["escalate"]}]) == {["rules", 0, "verbs", 0]}
}

# escalate on a named role still lets its editor add any permission to it; bind on named roles
# is the documented safe pattern.
test_resource_names if {
	paths([{"apiGroups": [rbac_group], "resources": ["clusterroles"], "verbs": ["bind", "escalate"], "resourceNames": ["view"]}]) == {["rules", 0, "verbs", 1]}
	vs := rule.violations with input as role("ClusterRole", [{"apiGroups": [rbac_group], "resources": ["roles"], "verbs": ["*"], "resourceNames": ["view"]}])
	[v.message | some v in vs] == ["rules[0] grants escalate on roles: its subjects can add any permission to a role they can edit"]
	paths([{"apiGroups": [rbac_group], "resources": ["clusterroles"], "verbs": ["bind"], "resourceNames": ["view"]}]) == set()
}

# Plain create/update on roles is guarded by escalation prevention (trivy#9826); bind on bindings
# is the wrong resource (CK CKV_K8S_157); resourceNames ["*"] is a literal name (TV KSV-0051/0052);
# there are no roles in the core group.
test_false_positive_traps_pass if {
	paths([
		{"apiGroups": [rbac_group], "resources": ["roles", "rolebindings"], "verbs": ["create", "update", "patch", "delete"]},
		{"apiGroups": [rbac_group], "resources": ["rolebindings", "clusterrolebindings"], "verbs": ["bind", "escalate"]},
		{"apiGroups": [rbac_group], "resources": ["clusterroles"], "verbs": ["bind"], "resourceNames": ["*"]},
		{"apiGroups": [""], "resources": ["roles"], "verbs": ["escalate", "bind"]},
		{"apiGroups": [rbac_group], "resources": ["roles/*", "*/roles"], "verbs": ["escalate"]},
		{"apiGroups": [rbac_group], "resources": ["roles"], "verbs": ["Escalate"]},
	]) == set()
}

test_full_wildcard_is_left_to_rbac_full_wildcard if {
	paths([{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]) == set()
}

test_not_rbac_objects_pass if {
	escalate := [{"apiGroups": [rbac_group], "resources": ["roles"], "verbs": ["escalate"]}]
	count(rule.violations) == 0 with input as object.union(role("Role", escalate), {"apiVersion": "authorization.openshift.io/v1"})
	count(rule.violations) == 0 with input as {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "rules": escalate}
}
