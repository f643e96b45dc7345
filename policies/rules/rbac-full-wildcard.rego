# METADATA
# title: Roles must not grant every verb on every resource
# description: >-
#   A PolicyRule with "*" in apiGroups, resources and verbs grants every permission there is: in a
#   ClusterRole bound cluster-wide it is the equivalent of cluster-admin (every Secret, every pod
#   exec, every RBAC object, custom resources added later included), and in a Role it makes its
#   subjects owners of the namespace. It is the first thing an attacker looks for in a stolen
#   service account token. List the API groups, resources and verbs the workload really uses. This
#   rule supersedes the other RBAC rules for that PolicyRule: removing the wildcard is the fix for
#   all of them.
# custom:
#   id: rbac-full-wildcard
#   severity: high
#   profiles: [recommended]
#   pss: []
#   terrascan: []
#   fixable: false
#   kinds: [Role, ClusterRole]
#   reads: [metadata, rules, aggregationRule, roleRef, subjects]
#   supersedes: [rbac-wildcard, rbac-secrets-access, rbac-escalate-bind, rbac-impersonate, rbac-pod-exec, rbac-node-proxy, rbac-admission-control]
#   passes: >-
#     No PolicyRule of a Role or ClusterRole has "*" in all three of apiGroups, resources and verbs.
#   fix: >-
#     None (suppress only): list the groups, resources and verbs the workload needs.
package kubepolicy.rules.rbac_full_wildcard

import data.kubepolicy.lib.rbac

violations contains v if {
	rbac.mentions_verb(set())
	some r in rbac.rules
	rbac.full_wildcard(r)
	v := {
		"path": array.concat(r.path, ["resources", rbac.resource_index(r, set())]),
		"message": sprintf("rules[%d] grants every verb on every resource of every API group (apiGroups, resources and verbs are \"*\"): %s", [r.index, scope]),
		"fix": [],
	}
}

scope := "cluster-admin equivalent when bound cluster-wide" if input.kind == "ClusterRole"

else := "every permission in the namespace"
