package kubepolicy.rules.rbac_node_proxy_test

import data.kubepolicy.rules.rbac_node_proxy as rule

role(kind, rules) := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": {"name": "r"}, "rules": rules}

paths(rules) := ps if {
	vs := rule.violations with input as role("ClusterRole", rules)
	ps := {v.path | some v in vs}
}

# get alone is the dangerous verb (CK CKV2_K8S_2 counts only create).
test_get_nodes_proxy_fails if {
	rule.violations == {{
		"path": ["rules", 1, "resources", 2],
		"message": "rules[1] grants get on nodes/proxy: even get lets its subjects exec into every pod through the kubelet API",
		"fix": [],
	}} with input as role("ClusterRole", [
		{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]},
		{"apiGroups": [""], "resources": ["nodes", "nodes/metrics", "nodes/proxy"], "verbs": ["get", "list", "watch"]},
	])
}

test_other_verbs_and_wildcards_fail if {
	every verb in ["create", "update", "patch", "delete"] {
		paths([{"apiGroups": [""], "resources": ["nodes/proxy"], "verbs": [verb]}]) == {["rules", 0, "resources", 0]}
	}
	paths([{"apiGroups": [""], "resources": ["*/proxy"], "verbs": ["get"]}]) == {["rules", 0, "resources", 0]}
	vs := rule.violations with input as role("ClusterRole", [{"apiGroups": [""], "resources": ["nodes", "*"], "verbs": ["*"]}])
	vs == {{
		"path": ["rules", 0, "resources", 1],
		"message": "rules[0] grants all verbs on nodes/proxy: even get lets its subjects exec into every pod through the kubelet API",
		"fix": [],
	}}
}

# nodes/proxy is cluster-scoped: a Role cannot grant it. "nodes/*" is not a wildcard; resourceNames
# pins the nodes; list and watch do not proxy; only the core group has nodes.
test_false_positive_traps_pass if {
	count(rule.violations) == 0 with input as role("Role", [{"apiGroups": [""], "resources": ["nodes/proxy"], "verbs": ["get"]}])
	paths([
		{"apiGroups": [""], "resources": ["nodes/*", "*/*", "nodes", "nodes/metrics", "nodes/stats"], "verbs": ["get"]},
		{"apiGroups": [""], "resources": ["nodes/proxy"], "verbs": ["get"], "resourceNames": ["node-1"]},
		{"apiGroups": [""], "resources": ["nodes/proxy"], "verbs": ["list", "watch"]},
		{"apiGroups": ["metrics.k8s.io"], "resources": ["nodes/proxy"], "verbs": ["get"]},
	]) == set()
}

test_full_wildcard_is_left_to_rbac_full_wildcard if {
	paths([{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]) == set()
}

test_aggregated_cluster_role_passes if {
	count(rule.violations) == 0 with input as object.union(
		role("ClusterRole", [{"apiGroups": [""], "resources": ["nodes/proxy"], "verbs": ["get"]}]),
		{"aggregationRule": {"clusterRoleSelectors": []}},
	)
}
