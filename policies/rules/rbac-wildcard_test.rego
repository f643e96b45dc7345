package kubepolicy.rules.rbac_wildcard_test

import data.kubepolicy.rules.rbac_wildcard as rule

role(kind, rules) := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": {"name": "r"}, "rules": rules}

paths(rules) := ps if {
	vs := rule.violations with input as role("ClusterRole", rules)
	ps := {v.path | some v in vs}
}

test_star_verb_fails if {
	rule.violations == {{
		"path": ["rules", 0, "verbs", 1],
		"message": "rules[0] has a wildcard in verbs (verbs[1] \"*\"): it grants whatever is added later too",
		"fix": [],
	}} with input as role("Role", [{"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "*"]}])
}

# The first wildcard is looked for in resources, verbs, apiGroups, nonResourceURLs, in that order;
# the message names every list that has one.
test_first_wildcard_in_list_order if {
	rule.violations == {{
		"path": ["rules", 0, "resources", 1],
		"message": "rules[0] has a wildcard in resources, verbs and apiGroups (resources[1] \"*/log\", verbs[0] \"*\", apiGroups[0] \"*\"): it grants whatever is added later too",
		"fix": [],
	}} with input as role("ClusterRole", [{"apiGroups": ["*"], "resources": ["pods", "*/log"], "verbs": ["*"], "resourceNames": ["x"]}])
	paths([{"apiGroups": ["*"], "resources": ["pods"], "verbs": ["get"]}]) == {["rules", 0, "apiGroups", 0]}
}

test_star_subresource_fails if {
	paths([{"apiGroups": ["apps"], "resources": ["deployments", "*/scale"], "verbs": ["update"]}]) == {["rules", 0, "resources", 1]}
}

test_non_resource_url_ending_in_star_fails if {
	paths([{"nonResourceURLs": ["/healthz", "/metrics*"], "verbs": ["get"]}]) == {["rules", 0, "nonResourceURLs", 1]}
	paths([{"nonResourceURLs": ["*"], "verbs": ["get"]}]) == {["rules", 0, "nonResourceURLs", 0]}
}

# Every PolicyRule is read, one finding each.
test_every_policy_rule if {
	paths([
		{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]},
		{"apiGroups": [""], "resources": ["*"], "verbs": ["*"]},
		{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["*"]},
	]) == {["rules", 1, "resources", 0], ["rules", 2, "verbs", 0]}
}

# Substring matching (CK CKV_K8S_49) is wrong: "pods/*" and "*/*" match nothing real, a "*" in
# resourceNames is a literal name, "get*" is not a verb pattern.
test_false_positive_traps_pass if {
	paths([
		{"apiGroups": [""], "resources": ["pods/*", "*/*"], "verbs": ["get"]},
		{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"], "resourceNames": ["*"]},
		{"apiGroups": ["*.example.com"], "resources": ["widgets*"], "verbs": ["get*"]},
		{"nonResourceURLs": ["/metrics", "/api/*/x"], "verbs": ["get"]},
	]) == set()
}

# A PolicyRule that rbac-full-wildcard reports is left to it: one problem, one diagnostic.
test_full_wildcard_is_left_to_rbac_full_wildcard if {
	paths([
		{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
		{"apiGroups": ["*"], "resources": ["*"], "verbs": ["get"]},
	]) == {["rules", 1, "resources", 0]}
}

test_not_rbac_objects_pass if {
	count(rule.violations) == 0 with input as object.union(role("ClusterRole", [{"apiGroups": ["*"], "resources": ["pods"], "verbs": ["get"]}]), {"apiVersion": "authorization.openshift.io/v1"})
	count(rule.violations) == 0 with input as object.union(role("ClusterRole", [{"apiGroups": ["*"], "resources": ["pods"], "verbs": ["get"]}]), {"aggregationRule": {}})
}
