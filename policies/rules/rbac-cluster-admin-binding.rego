# METADATA
# title: Bindings should not grant cluster-admin, or admin and edit cluster-wide
# description: >-
#   cluster-admin is every permission on every resource. Bound by a ClusterRoleBinding it owns the
#   cluster; bound by a RoleBinding it still owns the namespace, its RBAC and every Secret in it.
#   The admin and edit ClusterRoles are meant for namespace delegation through RoleBindings: bound
#   cluster-wide they give write access to workloads and Secrets in every namespace, kube-system
#   included. Bind a role with the permissions the subject needs. A RoleBinding to admin or edit
#   (the normal delegation) passes, and so does the upstream bootstrap binding to the
#   system:masters group, which bypasses RBAC anyway. Names are not evidence: a binding called
#   system:something is checked like any other.
# custom:
#   id: rbac-cluster-admin-binding
#   severity: high
#   profiles: [recommended]
#   pss: []
#   terrascan: []
#   fixable: false
#   kinds: [RoleBinding, ClusterRoleBinding]
#   reads: [metadata, rules, aggregationRule, roleRef, subjects]
#   passes: >-
#     A binding to a narrower role, a RoleBinding to admin or edit, or a binding whose only subject
#     is the group system:masters.
#   fix: >-
#     None (suppress only): bind a role with only the permissions the subjects need.
package kubepolicy.rules.rbac_cluster_admin_binding

import data.kubepolicy.lib.rbac

# The ClusterRoles reported, per binding kind, with where they apply.
roles := {
	"ClusterRoleBinding": {"cluster-admin": "cluster-wide", "admin": "in every namespace", "edit": "in every namespace"},
	"RoleBinding": {"cluster-admin": "in its namespace"},
}

violations contains v if {
	some name, where in roles[input.kind]
	rbac.role_ref_cluster_role(name)
	granted := [rbac.subject_text(s) |
		some s in rbac.subjects
		not masters(s)
	]
	count(granted) > 0
	v := {
		"path": ["roleRef", "name"],
		"message": sprintf("%s grants ClusterRole %q %s to %s", [input.kind, name, where, concat(", ", sort(granted))]),
		"fix": [],
	}
}

masters(s) if {
	s.kind == "Group"
	s.name == "system:masters"
}
