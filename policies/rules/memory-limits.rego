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
#   passes: >-
#     Every container and init container sets resources.limits.memory, or the pod sets
#     spec.resources.limits.memory (Kubernetes 1.32 and later). Ephemeral debug containers are not checked.
#   fix: Sets resources.limits.memory to the configured default (512Mi).
package kubepolicy.rules.memory_limits

import data.kubepolicy.lib

violations contains v if {
	some c in lib.containers
	c.type != "ephemeralContainers"
	not is_set(c.container)
	not pod_level_set(c.pod)
	path := array.concat(c.path, ["resources", "limits", "memory"])
	v := {
		"path": path,
		"message": sprintf("container %q has no resources.limits.memory", [c.name]),
		"fix": [{"op": "set", "path": path, "value": lib.resource_defaults.memoryLimit}],
	}
}

# is_set: x (a container or a pod spec) has a non-empty resources.limits.memory.
is_set(x) if not object.get(x, ["resources", "limits", "memory"], null) in {null, ""}

# Pod-level resources (Kubernetes 1.32+) cover every container of the pod.
pod_level_set(pod) if {
	lib.k8s_minor >= 32
	is_set(pod.spec)
}
