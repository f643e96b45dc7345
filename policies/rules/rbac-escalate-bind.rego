# METADATA
# title: Roles should not grant escalate, or bind on every role
# description: >-
#   The API server prevents privilege escalation through RBAC: a user may create or update a role
#   only with permissions they already hold, and bind only roles whose permissions they hold. The
#   escalate verb on roles or clusterroles switches the first check off, so its subjects can add
#   any permission to a role they can edit, even one pinned by resourceNames. The bind verb
#   switches the second off, so, without resourceNames, its subjects can bind any role,
#   cluster-admin included, to themselves. Plain create or update on roles and bindings is not
#   reported: escalation prevention already guards them. Binding named roles (bind with
#   resourceNames) is the documented safe pattern and passes.
# custom:
#   id: rbac-escalate-bind
#   severity: high
#   profiles: [recommended]
#   pss: []
#   terrascan: []
#   fixable: false
#   kinds: [Role, ClusterRole]
#   reads: [metadata, rules, aggregationRule, roleRef, subjects]
#   passes: >-
#     No PolicyRule grants escalate on roles or clusterroles, and bind is granted only on roles named
#     in resourceNames.
#   fix: >-
#     None (suppress only): drop escalate, and list the roles that may be bound in resourceNames.
package kubepolicy.rules.rbac_escalate_bind

import data.kubepolicy.lib.rbac

violations contains v if {
	rbac.mentions_verb({"escalate", "bind"})
	some r in rbac.specific_rules
	rbac.group(r, rbac.api_group)
	resources := [x | some x in ["roles", "clusterroles"]; rbac.resource(r, x)]
	count(resources) > 0
	granted := [x | some x in ["escalate", "bind"]; grants(r, x)]
	count(granted) > 0
	v := {
		"path": array.concat(r.path, ["verbs", rbac.verb_index(r, {x | some x in granted})]),
		"message": sprintf("rules[%d] grants %s on %s: %s", [r.index, rbac.words(granted), rbac.words(resources), concat("; ", [danger[x] | some x in granted])]),
		"fix": [],
	}
}

grants(r, "escalate") if rbac.verb(r, "escalate")

grants(r, "bind") if {
	rbac.verb(r, "bind")
	rbac.unnamed(r)
}

danger := {
	"escalate": "its subjects can add any permission to a role they can edit",
	"bind": "with no resourceNames, its subjects can bind any role, cluster-admin included",
}
