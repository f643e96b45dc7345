# METADATA
# title: Containers must request CPU
# description: >-
#   The scheduler places pods by their requests. A container without a CPU request counts as
#   needing no CPU at all, so nodes get overcommitted, and under contention the container gets the
#   smallest share of CPU time, which shows up as latency spikes and failing health checks rather than
#   as a clear error. The Horizontal Pod Autoscaler also needs the request to compute CPU utilisation.
# custom:
#   id: cpu-requests
#   severity: medium
#   profiles: [default]
#   pss: []
#   terrascan: [AC_K8S_0097]
#   fixable: true
#   kinds: [workloads]
#   reads: ["**.containers.*.name", "**.initContainers.*.name", "**.ephemeralContainers.*.name", "**.resources"]
#   fixPreferred: false
#   passes: >-
#     Every container and init container sets resources.requests.cpu, or the pod sets
#     spec.resources.requests.cpu (Kubernetes 1.32 and later). Ephemeral debug containers are not checked.
#   fix: Sets resources.requests.cpu to the configured default (100m).
package kubepolicy.rules.cpu_requests

import data.kubepolicy.lib

violations contains v if {
	some c in lib.containers
	object.get(c.container, ["resources", "requests", "cpu"], null) in {null, ""}
	c.type != "ephemeralContainers"
	not pod_level_set(c.pod)
	path := array.concat(c.path, ["resources", "requests", "cpu"])
	v := {
		"path": path,
		"message": sprintf("container %q has no resources.requests.cpu", [c.name]),
		"fix": [{"op": "set", "path": path, "value": lib.resource_defaults.cpuRequest}],
	}
}

# Pod-level resources (Kubernetes 1.32+) cover every container of the pod. A container without
# its own value is checked here, so the pod's value (rarely set) is looked at first.
pod_level_set(pod) if {
	not object.get(pod.spec, ["resources", "requests", "cpu"], null) in {null, ""}
	lib.k8s_minor >= 32
}
