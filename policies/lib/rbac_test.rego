package kubepolicy.lib.rbac_test

import data.kubepolicy.lib.rbac

cluster_role(rules) := {
	"apiVersion": "rbac.authorization.k8s.io/v1",
	"kind": "ClusterRole",
	"metadata": {"name": "r"},
	"rules": rules,
}

# pr is a PolicyRule as rbac.rules gives it.
pr(groups, resources, verbs) := {
	"index": 0,
	"path": ["rules", 0],
	"apiGroups": groups,
	"resources": resources,
	"verbs": verbs,
	"resourceNames": [],
	"nonResourceURLs": [],
}

# Objects --------------------------------------------------------------------

test_rbac_api_versions if {
	every api in ["rbac.authorization.k8s.io/v1", "rbac.authorization.k8s.io/v1beta1", "rbac.authorization.k8s.io/v1alpha1"] {
		rbac.is_role with input as {"apiVersion": api, "kind": "Role"}
	}
	every api in ["authorization.openshift.io/v1", "rbac.authorization.k8s.io", "v1", "xrbac.authorization.k8s.io/v1", 1] {
		not rbac.is_role with input as {"apiVersion": api, "kind": "Role"}
	}
	not rbac.is_role with input as {"kind": "Role"}
}

test_kinds if {
	rbac.is_role with input as cluster_role([])
	rbac.is_cluster_role with input as cluster_role([])
	not rbac.is_cluster_role with input as {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role"}
	not rbac.is_role with input as {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding"}
	not rbac.is_role with input as {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "role"}
	rbac.is_binding with input as {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding"}
	rbac.is_binding with input as {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding"}
	not rbac.is_binding with input as {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole"}
	not rbac.is_binding with input as {"apiVersion": "authorization.openshift.io/v1", "kind": "RoleBinding"}
}

test_aggregated_cluster_roles_are_skipped if {
	agg := object.union(cluster_role([{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]), {"aggregationRule": {"clusterRoleSelectors": []}})
	not rbac.is_role with input as agg
	count(rbac.rules) == 0 with input as agg

	# aggregationRule: null is no aggregation
	count(rbac.rules) == 1 with input as object.union(agg, {"aggregationRule": null})
}

# Every PolicyRule is read, not only the first (CK CKV_K8S_49 reads rules[0]); entries that are
# not objects are skipped, odd fields count as [].
test_every_policy_rule_is_read if {
	rs := rbac.rules with input as cluster_role([
		{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]},
		"junk",
		{"apiGroups": [""], "resources": "secrets", "verbs": ["get", 1], "resourceNames": null},
	])
	rs == {
		{"index": 0, "path": ["rules", 0], "apiGroups": [""], "resources": ["pods"], "verbs": ["get"], "resourceNames": [], "nonResourceURLs": []},
		{"index": 2, "path": ["rules", 2], "apiGroups": [""], "resources": [], "verbs": ["get", 1], "resourceNames": [], "nonResourceURLs": []},
	}
	count(rbac.rules) == 0 with input as cluster_role("junk")
	count(rbac.rules) == 0 with input as object.remove(cluster_role([]), ["rules"])
}

test_full_wildcard if {
	rbac.full_wildcard(pr(["*"], ["*"], ["*"]))
	rbac.full_wildcard(pr(["", "*"], ["pods", "*"], ["get", "*"]))
	not rbac.full_wildcard(pr([""], ["*"], ["*"]))
	not rbac.full_wildcard(pr(["*"], ["*/*"], ["*"]))
	not rbac.full_wildcard(pr(["*"], ["*"], ["get"]))
	rs := rbac.specific_rules with input as cluster_role([
		{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
		{"apiGroups": [""], "resources": ["*"], "verbs": ["*"]},
	])
	{r.index | some r in rs} == {1}
}

# Matching: one table per predicate, [PolicyRule, argument(s), expected] ------------------------

test_verb_table if {
	cases := [
		[["get"], "get", true],
		[["*"], "escalate", true],
		[["list", "get"], "get", true],
		[["GET"], "get", false], # case-sensitive
		[["get*"], "get", false],
		[[], "get", false],
		[[1], "get", false],
	]
	every c in cases {
		r := pr([""], ["pods"], c[0])
		got := count({1 | rbac.verb(r, c[1])}) == 1
		got == c[2]
	}
}

test_group_table if {
	cases := [
		[[""], "", true],
		[["*"], "", true],
		[["*"], "rbac.authorization.k8s.io", true],
		[["apps"], "", false],
		[[""], "apps", false],
		[[], "", false], # absent apiGroups match nothing
		[["RBAC.authorization.k8s.io"], "rbac.authorization.k8s.io", false],
	]
	every c in cases {
		r := pr(c[0], ["pods"], ["get"])
		got := count({1 | rbac.group(r, c[1])}) == 1
		got == c[2]
	}
}

test_resource_table if {
	cases := [
		[["secrets"], "secrets", true],
		[["*"], "secrets", true],
		[["Secrets"], "secrets", false],
		[["secret"], "secrets", false],
		[["*/secrets"], "secrets", false], # "*/x" names a subresource
		[["secrets/*"], "secrets", false],
		[[], "secrets", false],
	]
	every c in cases {
		r := pr([""], c[0], ["get"])
		got := count({1 | rbac.resource(r, c[1])}) == 1
		got == c[2]
	}
}

# The false positives of KS C-0002 (pods/* as a wildcard) and of Checkov's old base class (*/*).
test_subresource_table if {
	cases := [
		[["pods/exec"], ["pods", "exec"], true],
		[["*/exec"], ["pods", "exec"], true],
		[["*"], ["pods", "exec"], true],
		[["pods/*"], ["pods", "exec"], false],
		[["*/*"], ["pods", "exec"], false],
		[["pods"], ["pods", "exec"], false],
		[["pods/attach"], ["pods", "exec"], false],
		[["Pods/exec"], ["pods", "exec"], false],
		[["*/exec"], ["nodes", "proxy"], false],
		[["*/proxy"], ["nodes", "proxy"], true],
		[["deployments/exec"], ["pods", "exec"], false],
	]
	every c in cases {
		r := pr([""], c[0], ["create"])
		got := count({1 | rbac.subresource(r, c[1][0], c[1][1])}) == 1
		got == c[2]
	}
}

test_unnamed_table if {
	cases := [
		[[], true],
		[["*"], false], # a literal name, not a wildcard (TV KSV-0051/0052)
		[["my-secret"], false],
		[[1], true], # non-string entries are ignored
	]
	every c in cases {
		r := object.union(pr([""], ["secrets"], ["get"]), {"resourceNames": c[0]})
		got := count({1 | rbac.unnamed(r)}) == 1
		got == c[1]
	}

	# absent, null or a non-list resourceNames: read through rbac.rules as []
	every names in [null, "my-secret", {}] {
		some r in rbac.rules with input as cluster_role([{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"], "resourceNames": names}])
		rbac.unnamed(r)
	}
}

# Ranges ---------------------------------------------------------------------

test_indexes if {
	rbac.verb_index(pr([""], ["roles"], ["get", "bind", "*"]), {"bind"}) == 1
	rbac.verb_index(pr([""], ["roles"], ["get", "*", "bind"]), {"bind"}) == 1
	not rbac.verb_index(pr([""], ["roles"], ["get"]), {"bind"})
	rbac.resource_index(pr([""], ["pods", "secrets", "*"], ["get"]), {"secrets"}) == 1
	rbac.resource_index(pr([""], ["pods", "*", "secrets"], ["get"]), {"secrets"}) == 1
	rbac.resource_index(pr([""], ["pods", "*"], ["get"]), set()) == 1
	rbac.subresource_index(pr([""], ["pods/*", "pods/log", "*/attach", "pods/exec"], ["get"]), {["pods", "exec"], ["pods", "attach"]}) == 2
	rbac.subresource_index(pr([""], ["pods/*", "pods/exec"], ["get"]), {["pods", "exec"]}) == 1
	not rbac.subresource_index(pr([""], ["pods/*", "*/*"], ["get"]), {["pods", "exec"]})
}

# Bindings -------------------------------------------------------------------

binding(kind, ref, subjects) := {
	"apiVersion": "rbac.authorization.k8s.io/v1",
	"kind": kind,
	"metadata": {"name": "b"},
	"roleRef": ref,
	"subjects": subjects,
}

test_role_ref_cluster_role if {
	every ref in [
		{"kind": "ClusterRole", "name": "edit", "apiGroup": "rbac.authorization.k8s.io"},
		{"kind": "ClusterRole", "name": "edit"},
		{"kind": "ClusterRole", "name": "edit", "apiGroup": null},
		{"kind": "ClusterRole", "name": "edit", "apiGroup": ""},
	] {
		rbac.role_ref_cluster_role("edit") with input as binding("RoleBinding", ref, [])
	}
	every ref in [
		{"kind": "Role", "name": "edit"},
		{"kind": "ClusterRole", "name": "Edit"},
		{"kind": "ClusterRole", "name": "edit", "apiGroup": "example.com"},
		"edit",
	] {
		not rbac.role_ref_cluster_role("edit") with input as binding("RoleBinding", ref, [])
	}
	not rbac.role_ref_cluster_role("edit") with input as object.union(binding("RoleBinding", {"kind": "ClusterRole", "name": "edit"}, []), {"apiVersion": "v1"})
}

test_subjects if {
	ss := rbac.subjects with input as binding("ClusterRoleBinding", {}, [
		{"kind": "ServiceAccount", "name": "sa", "namespace": "ns"},
		"junk",
		{"kind": "User", "name": 7},
	])
	ss == {
		{"index": 0, "path": ["subjects", 0], "kind": "ServiceAccount", "name": "sa", "namespace": "ns"},
		{"index": 2, "path": ["subjects", 2], "kind": "User", "name": "", "namespace": ""},
	}
	count(rbac.subjects) == 0 with input as binding("ClusterRoleBinding", {}, null)
	rbac.subject_text({"kind": "ServiceAccount", "name": "sa", "namespace": "ns"}) == "ServiceAccount ns/sa"
	rbac.subject_text({"kind": "ServiceAccount", "name": "sa", "namespace": ""}) == "ServiceAccount sa"
	rbac.subject_text({"kind": "Group", "name": "devs", "namespace": ""}) == "Group devs"
}

test_words if {
	rbac.words(["a"]) == "a"
	rbac.words(["a", "b"]) == "a and b"
	rbac.words(["a", "b", "c"]) == "a, b and c"
	rbac.verbs_text(pr([""], ["secrets"], ["get", "*"]), ["get"]) == "all verbs"
	rbac.verbs_text(pr([""], ["secrets"], ["get", "list"]), ["get", "list"]) == "get and list"
}

# The role-level prefilters: a necessary condition over every PolicyRule, "*" included.
test_mentions if {
	role := cluster_role([
		{"apiGroups": [""], "resources": ["pods/*", "configmaps"], "verbs": ["get"]},
		{"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["bind"]},
	])
	rbac.mentions_resource({"configmaps"}) with input as role
	not rbac.mentions_resource({"pods/exec", "*/exec"}) with input as role
	rbac.mentions_verb({"escalate", "bind"}) with input as role
	not rbac.mentions_verb({"impersonate"}) with input as role
	rbac.mentions_group({"apps"}) with input as role
	not rbac.mentions_group({"rbac.authorization.k8s.io"}) with input as role
	star := cluster_role([{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}])
	rbac.mentions_resource({"pods/exec"}) with input as star
	rbac.mentions_verb(set()) with input as star
	rbac.mentions_group({"admissionregistration.k8s.io"}) with input as star
	not rbac.mentions_verb(set()) with input as role
}
