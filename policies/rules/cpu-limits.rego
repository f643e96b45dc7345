# METADATA
# title: Containers must set a CPU limit
# description: >-
#   Without a CPU limit a container may use every idle core of its node. One busy or compromised
#   workload (a runaway loop, a crypto miner dropped through a vulnerable dependency) then starves every
#   other pod on that node, and the noisy neighbour is hard to spot because nothing crashes: everything
#   just gets slow. A limit confines the damage to the container's own share, and together with equal
#   requests it gives the pod the Guaranteed QoS class.
# custom:
#   id: cpu-limits
#   severity: medium
#   profiles: [default]
#   pss: []
#   terrascan: [AC_K8S_0098]
#   fixable: true
#   kinds: [workloads]
#   reads: ["**.containers.*.name", "**.initContainers.*.name", "**.ephemeralContainers.*.name", "**.resources"]
#   fixPreferred: false
#   passes: >-
#     Every container and init container sets resources.limits.cpu, or the pod sets
#     spec.resources.limits.cpu (Kubernetes 1.32 and later). Ephemeral debug containers are not checked.
#   fix: Sets resources.limits.cpu to the configured default (500m).
package kubepolicy.rules.cpu_limits

import data.kubepolicy.lib

violations contains v if {
	some c in lib.containers
	object.get(c.container, ["resources", "limits", "cpu"], null) in {null, ""}
	c.type != "ephemeralContainers"
	not pod_level_set(c.pod)
	path := array.concat(c.path, ["resources", "limits", "cpu"])
	v := {
		"path": path,
		"message": sprintf("container %q has no resources.limits.cpu", [c.name]),
		"fix": [{"op": "set", "path": path, "value": lib.resource_defaults.cpuLimit}],
	}
}

# Pod-level resources (Kubernetes 1.32+) cover every container of the pod. A container without
# its own value is checked here, so the pod's value (rarely set) is looked at first.
pod_level_set(pod) if {
	not object.get(pod.spec, ["resources", "limits", "cpu"], null) in {null, ""}
	lib.k8s_minor >= 32
}
