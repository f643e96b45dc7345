# METADATA
# title: Bindings must not grant roles to anonymous or every authenticated user
# description: >-
#   The user system:anonymous and the group system:unauthenticated are every request without
#   credentials; the group system:authenticated is everyone with any credential, every service
#   account of every namespace included. A role bound to them is granted to the whole network, or
#   to every workload of the cluster. Upstream binds only the discovery roles this way
#   (system:public-info-viewer, system:discovery, system:basic-user), and those bindings pass.
#   Bind the role to the users, groups or service accounts that need it.
# custom:
#   id: rbac-unauthenticated-binding
#   severity: critical
#   profiles: [recommended]
#   pss: []
#   terrascan: []
#   fixable: false
#   kinds: [RoleBinding, ClusterRoleBinding]
#   reads: [metadata, rules, aggregationRule, roleRef, subjects]
#   passes: >-
#     No subject is the user system:anonymous or the group system:unauthenticated or
#     system:authenticated, unless the binding grants one of the upstream discovery ClusterRoles.
#   fix: >-
#     None (suppress only): bind the role to the identities that need it.
package kubepolicy.rules.rbac_unauthenticated_binding

import data.kubepolicy.lib.rbac

# The subjects reported, by kind and name, with who they are.
everyone := {
	["User", "system:anonymous"]: "every unauthenticated request",
	["Group", "system:unauthenticated"]: "every unauthenticated request",
	["Group", "system:authenticated"]: "every authenticated user and service account",
}

# The upstream discovery ClusterRoles, bound to these groups by default.
discovery := {"system:public-info-viewer", "system:discovery", "system:basic-user"}

violations contains v if {
	some s in rbac.subjects
	who := everyone[[s.kind, s.name]]
	not upstream_discovery
	v := {
		"path": array.concat(s.path, ["name"]),
		"message": sprintf("%s grants %s %q to %s %s (%s)", [input.kind, rbac.role_ref.kind, rbac.role_ref.name, s.kind, s.name, who]),
		"fix": [],
	}
}

upstream_discovery if {
	rbac.role_ref.kind == "ClusterRole"
	rbac.role_ref.name in discovery
}
