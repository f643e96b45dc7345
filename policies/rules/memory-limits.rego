# METADATA
# title: Containers must set a memory limit
# description: >-
#   A container without a memory limit can grow until its node runs out of memory. The kernel's
#   OOM killer then picks victims across the whole node, often other teams' pods or node daemons, and the
#   kubelet starts evicting. A memory leak or a deliberate memory-exhaustion attack in one workload
#   becomes an outage of everything scheduled beside it. With a limit, only the offending container is
#   killed and restarted.
# custom:
#   id: memory-limits
#   severity: medium
#   profiles: [default]
#   pss: []
#   terrascan: [AC_K8S_0100]
#   fixable: true
#   kinds: [workloads]
#   reads: ["**.containers.*.name", "**.initContainers.*.name", "**.ephemeralContainers.*.name", "**.resources"]
#   fixPreferred: false
#   passes: >-
#     Every container and init container sets resources.limits.memory, or the pod sets
#     spec.resources.limits.memory (Kubernetes 1.32 and later). Ephemeral debug containers are not checked.
#   fix: Sets resources.limits.memory to the configured default (512Mi).
package kubepolicy.rules.memory_limits

import data.kubepolicy.lib

violations contains v if {
	some c in lib.containers
	object.get(c.container, ["resources", "limits", "memory"], null) in {null, ""}
	c.type != "ephemeralContainers"
	not pod_level_set(c.pod)
	path := array.concat(c.path, ["resources", "limits", "memory"])
	v := {
		"path": path,
		"message": sprintf("container %q has no resources.limits.memory", [c.name]),
		"fix": [{"op": "set", "path": path, "value": lib.resource_defaults.memoryLimit}],
	}
}

# Pod-level resources (Kubernetes 1.32+) cover every container of the pod. A container without
# its own value is checked here, so the pod's value (rarely set) is looked at first.
pod_level_set(pod) if {
	not object.get(pod.spec, ["resources", "limits", "memory"], null) in {null, ""}
	lib.k8s_minor >= 32
}
