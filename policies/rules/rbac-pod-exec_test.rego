package kubepolicy.rules.rbac_pod_exec_test

import data.kubepolicy.rules.rbac_pod_exec as rule

role(kind, rules) := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": {"name": "r"}, "rules": rules}

paths(rules, minor) := ps if {
	vs := rule.violations with input as role("Role", rules) with data.kubepolicy.config as {"kubernetesMinor": minor}
	ps := {v.path | some v in vs}
}

get_exec := [{"apiGroups": [""], "resources": ["pods", "pods/log", "pods/exec"], "verbs": ["get", "list"]}]

test_create_exec_fails if {
	rule.violations == {{
		"path": ["rules", 1, "resources", 1],
		"message": "rules[1] grants exec and attach into pods (create on pods/exec and pods/attach)",
		"fix": [],
	}} with input as role("ClusterRole", [
		{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]},
		{"apiGroups": [""], "resources": ["pods", "pods/attach", "pods/exec"], "verbs": ["create"]},
	])
}

# "*/exec", "*/attach" and "*" are real wildcards for the authorizer.
test_wildcards_fail if {
	paths([{"apiGroups": [""], "resources": ["*/attach"], "verbs": ["create"]}], 37) == {["rules", 0, "resources", 0]}
	paths([{"apiGroups": ["*"], "resources": ["pods", "*/exec"], "verbs": ["*"]}], 37) == {["rules", 0, "resources", 1]}
	vs := rule.violations with input as role("Role", [{"apiGroups": [""], "resources": ["*"], "verbs": ["create"]}])
	[v.message | some v in vs] == ["rules[0] grants exec and attach into pods (create on pods/exec and pods/attach)"]
}

# Before 1.35 a WebSocket exec needs only get (kubernetes#78741; TV KSV-0053 ignores it).
test_get_before_1_35_fails if {
	vs := rule.violations with input as role("Role", get_exec) with data.kubepolicy.config as {"kubernetesVersion": "1.34"}
	vs == {{
		"path": ["rules", 0, "resources", 2],
		"message": "rules[0] grants exec into pods (get on pods/exec): get suffices before Kubernetes 1.35 (WebSocket streams)",
		"fix": [],
	}}
	paths(get_exec, 30) == {["rules", 0, "resources", 2]}
}

test_get_from_1_35_passes if {
	paths(get_exec, 35) == set()
	paths(get_exec, 37) == set()
	count(rule.violations) == 0 with input as role("Role", get_exec)
}

# "pods/*" is not a wildcard (KS C-0002 counts it); resourceNames pins the pods (["*"] is a
# literal name); only the core group has pods; other verbs do not open a stream.
test_false_positive_traps_pass if {
	paths(
		[
			{"apiGroups": [""], "resources": ["pods/*", "*/*"], "verbs": ["create", "get"]},
			{"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create", "get"], "resourceNames": ["debug-pod"]},
			{"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"], "resourceNames": ["*"]},
			{"apiGroups": ["apps"], "resources": ["pods/exec"], "verbs": ["create"]},
			{"apiGroups": [""], "resources": ["pods/exec", "pods/attach"], "verbs": ["update", "patch", "delete", "list", "watch"]},
			{"apiGroups": [""], "resources": ["pods", "pods/log", "pods/portforward", "Pods/exec"], "verbs": ["create"]},
		],
		30,
	) == set()
}

test_full_wildcard_is_left_to_rbac_full_wildcard if {
	paths([{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}], 30) == set()
}

test_not_rbac_objects_pass if {
	count(rule.violations) == 0 with input as object.union(
		role("Role", [{"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}]),
		{"apiVersion": "authorization.openshift.io/v1"},
	)
}
