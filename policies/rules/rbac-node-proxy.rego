# METADATA
# title: ClusterRoles should not grant nodes/proxy
# description: >-
#   nodes/proxy forwards requests to the kubelet API of any node. Even get is enough to run
#   commands in every pod of the node through the kubelet's exec and attach WebSocket endpoints
#   (kubernetes PR #136550, which would have required create, was closed unmerged), and the
#   requests bypass the API server's audit of pod exec and its admission checks. Monitoring agents
#   that only need metrics should use nodes/metrics or nodes/stats instead. nodes/proxy is
#   cluster-scoped, so only ClusterRoles can grant it.
# custom:
#   id: rbac-node-proxy
#   severity: high
#   profiles: [recommended]
#   pss: []
#   terrascan: []
#   fixable: false
#   kinds: [ClusterRole]
#   reads: [metadata, rules, aggregationRule, roleRef, subjects]
#   passes: >-
#     No ClusterRole PolicyRule of the core group grants get, create, update, patch or delete on
#     nodes/proxy (directly, as "*/proxy" or as "*") without resourceNames.
#   fix: >-
#     None (suppress only): use nodes/metrics or nodes/stats, or name the nodes in resourceNames.
package kubepolicy.rules.rbac_node_proxy

import data.kubepolicy.lib.rbac

proxy_verbs := ["get", "create", "update", "patch", "delete"]

violations contains v if {
	rbac.is_cluster_role
	rbac.mentions_resource({"nodes/proxy", "*/proxy"})
	some r in rbac.specific_rules
	rbac.subresource(r, "nodes", "proxy")
	rbac.group(r, "")
	rbac.unnamed(r)
	granted := [x | some x in proxy_verbs; rbac.verb(r, x)]
	count(granted) > 0
	v := {
		"path": array.concat(r.path, ["resources", rbac.subresource_index(r, {["nodes", "proxy"]})]),
		"message": sprintf("rules[%d] grants %s on nodes/proxy: even get lets its subjects exec into every pod through the kubelet API", [r.index, rbac.verbs_text(r, granted)]),
		"fix": [],
	}
}
