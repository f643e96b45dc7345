# METADATA
# title: Probes and lifecycle hooks must not target another host
# description: >-
#   The kubelet runs httpGet and tcpSocket probes and lifecycle hooks from the node itself. When a
#   handler sets host, the kubelet connects to that address instead of the pod, with the node's
#   network position: a pod author can make every node probe internal services, cloud metadata
#   endpoints or localhost ports of the node (a server-side request forgery), and learn from the
#   probe results whether they answer. Since Kubernetes 1.34 the baseline Pod Security Standard
#   forbids setting host on liveness, readiness and startup probes and on postStart and preStop
#   handlers; leave it unset so the pod's own IP is used.
# custom:
#   id: host-probes
#   severity: medium
#   profiles: [default, pss-baseline, pss-restricted]
#   pss: [hostProbesAndHostLifecycle]
#   terrascan: []
#   fixable: true
#   kinds: [workloads]
#   reads: ["**.containers.*.name", "**.initContainers.*.name", "**.ephemeralContainers.*.name", "**.livenessProbe", "**.readinessProbe", "**.startupProbe", "**.lifecycle"]
#   passes: >-
#     No livenessProbe, readinessProbe, startupProbe, lifecycle.postStart or lifecycle.preStop
#     sets httpGet.host or tcpSocket.host (checked for Kubernetes 1.34 and later).
#   fix: Removes the host key, so the handler targets the pod's IP.
package kubepolicy.rules.host_probes

import data.kubepolicy.lib

# The handlers (probes and lifecycle hooks) are looked up by key, and the path and message are
# built only for a host that is set: most containers have none of them.
probes := ["livenessProbe", "readinessProbe", "startupProbe"]

hooks := ["postStart", "preStop"]

actions := ["httpGet", "tcpSocket"]

violations contains violation(c, [probe, action, "host"], host) if {
	lib.k8s_minor >= 34
	some c in lib.containers
	some probe in probes
	handler := c.container[probe]
	some action in actions
	host := handler[action].host
	is_string(host)
	host != ""
}

violations contains violation(c, ["lifecycle", hook, action, "host"], host) if {
	lib.k8s_minor >= 34
	some c in lib.containers
	lifecycle := c.container.lifecycle
	some hook in hooks
	handler := lifecycle[hook]
	some action in actions
	host := handler[action].host
	is_string(host)
	host != ""
}

violation(c, field, host) := {
	"path": path,
	"message": sprintf("container %q sets %s to %q", [c.name, concat(".", field), host]),
	"fix": [{"op": "remove", "path": path}],
} if {
	path := array.concat(c.path, field)
}
