# METADATA
# title: Roles should not grant impersonation
# description: >-
#   The impersonate verb lets its subjects send requests as another user, group or service account
#   (the Impersonate-User, Impersonate-Group and Impersonate-Uid headers, kubectl --as): they get
#   every permission of whoever they impersonate, system:masters included when groups are
#   covered, and the audit log records the impersonated identity. Grant it only to the few
#   components that need it (an authenticating proxy), pinned to the identities they act for
#   with resourceNames. The core group covers users, groups and service accounts;
#   authentication.k8s.io covers uids and userextras.
# custom:
#   id: rbac-impersonate
#   severity: high
#   profiles: [recommended]
#   pss: []
#   terrascan: []
#   fixable: false
#   kinds: [Role, ClusterRole]
#   reads: [metadata, rules, aggregationRule, roleRef, subjects]
#   passes: >-
#     No PolicyRule grants impersonate on users, groups, serviceaccounts, uids or userextras without
#     resourceNames.
#   fix: >-
#     None (suppress only): remove impersonate or name the identities in resourceNames.
package kubepolicy.rules.rbac_impersonate

import data.kubepolicy.lib.rbac

violations contains v if {
	rbac.mentions_verb({"impersonate"})
	some r in rbac.specific_rules
	rbac.verb(r, "impersonate")
	rbac.unnamed(r)
	identities := [x | some x in ["users", "groups", "serviceaccounts", "uids", "userextras"]; identity(r, x)]
	count(identities) > 0
	v := {
		"path": array.concat(r.path, ["verbs", rbac.verb_index(r, {"impersonate"})]),
		"message": sprintf("rules[%d] grants impersonate on %s: its subjects can act as any of them, with their permissions", [r.index, rbac.words(identities)]),
		"fix": [],
	}
}

identity(r, x) if {
	x in {"users", "groups", "serviceaccounts"}
	rbac.group(r, "")
	rbac.resource(r, x)
}

identity(r, "uids") if {
	rbac.group(r, "authentication.k8s.io")
	rbac.resource(r, "uids")
}

# userextras/<key> is one extra field; "*" covers them all.
identity(r, "userextras") if {
	rbac.group(r, "authentication.k8s.io")
	some x in r.resources
	userextras(x)
}

userextras("*")

userextras(x) if {
	is_string(x)
	startswith(x, "userextras/")
}
