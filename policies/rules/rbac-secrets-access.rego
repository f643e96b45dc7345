# METADATA
# title: Roles should not read or write every Secret
# description: >-
#   Secrets hold service account tokens, registry credentials, TLS keys and database passwords.
#   A PolicyRule that grants get, list, watch, create, update or patch on secrets of the core
#   group, without resourceNames, hands all of them to its subjects: list and watch return every
#   Secret's data, and create can mint a token Secret for any service account of the namespace.
#   In a ClusterRole bound cluster-wide that is every Secret of the cluster. Name the Secrets
#   with resourceNames, or give the reason in a suppression (a controller that really manages
#   Secrets). The recommended profile checks ClusterRoles; the all profile checks Roles too, which
#   controllers legitimately need more often.
# custom:
#   id: rbac-secrets-access
#   severity: high
#   profiles: [recommended]
#   pss: []
#   terrascan: []
#   fixable: false
#   kinds: [Role, ClusterRole]
#   reads: [metadata, rules, aggregationRule, roleRef, subjects]
#   passes: >-
#     No PolicyRule grants a read or write verb on all Secrets: it leaves secrets out, names them
#     with resourceNames, or is a Role under a profile other than all.
#   fix: >-
#     None (suppress only): pin the Secrets with resourceNames or narrow the verbs.
package kubepolicy.rules.rbac_secrets_access

import data.kubepolicy.lib
import data.kubepolicy.lib.rbac

access_verbs := ["get", "list", "watch", "create", "update", "patch"]

# checked: ClusterRoles always; Roles under the all profile, its strict variant of this rule.
checked if input.kind == "ClusterRole"

checked if {
	input.kind == "Role"
	lib.profile == "all"
}

violations contains v if {
	checked
	rbac.mentions_resource({"secrets"})
	some r in rbac.specific_rules
	rbac.resource(r, "secrets")
	rbac.group(r, "")
	rbac.unnamed(r)
	granted := [x | some x in access_verbs; rbac.verb(r, x)]
	count(granted) > 0
	v := {
		"path": array.concat(r.path, ["resources", rbac.resource_index(r, {"secrets"})]),
		"message": sprintf("rules[%d] grants %s on every Secret %s", [r.index, rbac.verbs_text(r, granted), scope]),
		"fix": [],
	}
}

scope := "of the cluster when bound cluster-wide" if input.kind == "ClusterRole"

else := "of the namespace"
