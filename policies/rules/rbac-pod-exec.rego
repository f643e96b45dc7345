# METADATA
# title: Roles should not grant exec or attach into pods
# description: >-
#   pods/exec and pods/attach run commands in, or attach to, any container of the pods their
#   subjects can reach: they read its mounted Secrets and service account token and act with its
#   identity, so the role is worth as much as the most privileged pod in scope. The verb that
#   opens the stream is create; before Kubernetes 1.35 a WebSocket connection (kubectl exec from
#   1.31 on) needs only get (kubernetes#78741), so under an older kubernetesVersion get counts too.
#   Only real matches are reported: "pods/*" is not a wildcard for the authorizer, while "*/exec"
#   and "*" are.
# custom:
#   id: rbac-pod-exec
#   severity: high
#   profiles: [recommended]
#   pss: []
#   terrascan: []
#   fixable: false
#   kinds: [Role, ClusterRole]
#   reads: [metadata, rules, aggregationRule, roleRef, subjects]
#   passes: >-
#     No PolicyRule of the core group grants create (or, before Kubernetes 1.35, get) on pods/exec
#     or pods/attach without resourceNames.
#   fix: >-
#     None (suppress only): remove the exec and attach grants, or name the pods in resourceNames.
package kubepolicy.rules.rbac_pod_exec

import data.kubepolicy.lib
import data.kubepolicy.lib.rbac

violations contains v if {
	rbac.mentions_resource({"pods/exec", "pods/attach", "*/exec", "*/attach"})
	some r in rbac.specific_rules
	streams := [x | some x in ["exec", "attach"]; rbac.subresource(r, "pods", x)]
	count(streams) > 0
	rbac.group(r, "")
	rbac.unnamed(r)
	how := stream_verb(r)
	v := {
		"path": array.concat(r.path, ["resources", rbac.subresource_index(r, {["pods", x] | some x in streams})]),
		"message": sprintf("rules[%d] grants %s into pods (%s on %s)%s", [r.index, rbac.words(streams), how, rbac.words([concat("/", ["pods", x]) | some x in streams]), note[how]]),
		"fix": [],
	}
}

stream_verb(r) := "create" if rbac.verb(r, "create")

else := "get" if {
	lib.k8s_minor < 35
	rbac.verb(r, "get")
}

note := {
	"create": "",
	"get": ": get suffices before Kubernetes 1.35 (WebSocket streams)",
}
