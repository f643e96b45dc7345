package kubepolicy.rules.rbac_cluster_admin_binding_test

import data.kubepolicy.rules.rbac_cluster_admin_binding as rule

binding(kind, role, subjects) := {
	"apiVersion": "rbac.authorization.k8s.io/v1",
	"kind": kind,
	"metadata": {"name": "b"},
	"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
	"subjects": subjects,
}

sa := {"kind": "ServiceAccount", "name": "bundle", "namespace": "longhorn-system"}

masters := {"kind": "Group", "name": "system:masters", "apiGroup": "rbac.authorization.k8s.io"}

test_cluster_role_binding_to_cluster_admin_fails if {
	rule.violations == {{
		"path": ["roleRef", "name"],
		"message": "ClusterRoleBinding grants ClusterRole \"cluster-admin\" cluster-wide to Group system:admins, ServiceAccount longhorn-system/bundle",
		"fix": [],
	}} with input as binding("ClusterRoleBinding", "cluster-admin", [sa, masters, {"kind": "Group", "name": "system:admins"}])
}

test_cluster_role_binding_to_admin_and_edit_fails if {
	every role in ["admin", "edit"] {
		vs := rule.violations with input as binding("ClusterRoleBinding", role, [sa])
		[v.message | some v in vs] == [sprintf("ClusterRoleBinding grants ClusterRole %q in every namespace to ServiceAccount longhorn-system/bundle", [role])]
	}
}

test_role_binding_to_cluster_admin_fails if {
	rule.violations == {{
		"path": ["roleRef", "name"],
		"message": "RoleBinding grants ClusterRole \"cluster-admin\" in its namespace to User jane",
		"fix": [],
	}} with input as binding("RoleBinding", "cluster-admin", [{"kind": "User", "name": "jane"}])
}

# roleRef.apiGroup may be left out or empty: the API server defaults it.
test_role_ref_without_api_group_fails if {
	count(rule.violations) == 1 with input as object.union(binding("ClusterRoleBinding", "cluster-admin", [sa]), {"roleRef": {"apiGroup": null}})
	count(rule.violations) == 1 with input as object.union(binding("ClusterRoleBinding", "cluster-admin", [sa]), {"roleRef": {"apiGroup": ""}})
	count(rule.violations) == 1 with input as object.union(binding("ClusterRoleBinding", "cluster-admin", [sa]), {"apiVersion": "rbac.authorization.k8s.io/v1beta1"})
}

# A RoleBinding to admin or edit is the normal namespace delegation (TV KSV-0111 flags it); the
# upstream system:masters binding bypasses RBAC anyway; no subjects grant nothing; a Role named
# cluster-admin is not the ClusterRole; the name is exact.
test_false_positive_traps_pass if {
	count(rule.violations) == 0 with input as binding("RoleBinding", "admin", [sa])
	count(rule.violations) == 0 with input as binding("RoleBinding", "edit", [sa])
	count(rule.violations) == 0 with input as binding("ClusterRoleBinding", "cluster-admin", [masters])
	count(rule.violations) == 0 with input as binding("ClusterRoleBinding", "cluster-admin", [])
	count(rule.violations) == 0 with input as object.remove(binding("ClusterRoleBinding", "cluster-admin", []), ["subjects"])
	count(rule.violations) == 0 with input as binding("ClusterRoleBinding", "cluster-admin", ["junk"])
	count(rule.violations) == 0 with input as object.union(binding("RoleBinding", "cluster-admin", [sa]), {"roleRef": {"kind": "Role"}})
	count(rule.violations) == 0 with input as binding("ClusterRoleBinding", "Cluster-Admin", [sa])
	count(rule.violations) == 0 with input as binding("ClusterRoleBinding", "view", [sa])
	count(rule.violations) == 0 with input as object.union(binding("ClusterRoleBinding", "cluster-admin", [sa]), {"roleRef": {"apiGroup": "example.com"}})
	count(rule.violations) == 0 with input as object.union(binding("ClusterRoleBinding", "cluster-admin", [sa]), {"apiVersion": "authorization.openshift.io/v1"})
}

# Names are not evidence: a binding called system:something is checked like any other.
test_no_name_exemptions if {
	count(rule.violations) == 1 with input as object.union(binding("ClusterRoleBinding", "cluster-admin", [sa]), {"metadata": {"name": "system:controller:bundle"}})
}
