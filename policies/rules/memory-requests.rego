# METADATA
# title: Containers must request memory
# description: >-
#   The scheduler uses memory requests to decide where a pod fits. Without one, pods are packed
#   onto nodes that cannot hold them, and under memory pressure the containers without a request are the
#   first to be evicted, so the workload restarts at random exactly when load is high. A request reserves
#   the memory the container needs to run.
# custom:
#   id: memory-requests
#   severity: medium
#   profiles: [default]
#   pss: []
#   terrascan: [AC_K8S_0099]
#   fixable: true
#   kinds: [workloads]
#   reads: ["**.containers.*.name", "**.initContainers.*.name", "**.ephemeralContainers.*.name", "**.resources"]
#   fixPreferred: false
#   passes: >-
#     Every container and init container sets resources.requests.memory, or the pod sets
#     spec.resources.requests.memory (Kubernetes 1.32 and later). Ephemeral debug containers are not checked.
#   fix: Sets resources.requests.memory to the configured default (128Mi).
package kubepolicy.rules.memory_requests

import data.kubepolicy.lib

violations contains v if {
	some c in lib.containers
	object.get(c.container, ["resources", "requests", "memory"], null) in {null, ""}
	c.type != "ephemeralContainers"
	not pod_level_set(c.pod)
	path := array.concat(c.path, ["resources", "requests", "memory"])
	v := {
		"path": path,
		"message": sprintf("container %q has no resources.requests.memory", [c.name]),
		"fix": [{"op": "set", "path": path, "value": lib.resource_defaults.memoryRequest}],
	}
}

# Pod-level resources (Kubernetes 1.32+) cover every container of the pod. A container without
# its own value is checked here, so the pod's value (rarely set) is looked at first.
pod_level_set(pod) if {
	not object.get(pod.spec, ["resources", "requests", "memory"], null) in {null, ""}
	lib.k8s_minor >= 32
}
