# METADATA
# title: Containers must not bind host ports
# description: >-
#   A hostPort maps a port of the node's own network interfaces to the container. It bypasses
#   Services and NetworkPolicies that are written for pod IPs, exposes the workload on every
#   address of the node, limits scheduling to one such pod per node, and lets a pod squat on a port
#   that a node daemon or another tenant expects, intercepting its traffic. The baseline Pod
#   Security Standard forbids non-zero hostPort values on every container; expose the workload
#   through a Service (NodePort or LoadBalancer) instead. A PodSecurityPolicy must not allow host
#   port ranges.
# custom:
#   id: host-ports
#   severity: medium
#   profiles: [default, pss-baseline, pss-restricted]
#   pss: [hostPorts]
#   terrascan: []
#   fixable: true
#   kinds: [workloads, PodSecurityPolicy]
#   reads: ["**.containers.*.name", "**.initContainers.*.name", "**.ephemeralContainers.*.name", "**.ports", spec.hostPorts]
#   passes: >-
#     No container port sets a hostPort other than 0; a PodSecurityPolicy has no hostPorts ranges.
#   fix: Removes the hostPort key from the container port.
package kubepolicy.rules.host_ports

import data.kubepolicy.lib

violations contains v if {
	some c in lib.containers
	ports := c.container.ports
	is_array(ports)
	some j, port in ports
	host_port := port.hostPort
	host_port != null
	host_port != 0
	path := array.concat(c.path, ["ports", j, "hostPort"])
	v := {
		"path": path,
		"message": sprintf("container %q binds host port %v (ports[%d].hostPort)", [c.name, host_port, j]),
		"fix": [{"op": "remove", "path": path}],
	}
}

violations contains v if {
	lib.is_psp
	count(lib.arr(object.get(input, ["spec", "hostPorts"], []))) > 0
	v := {
		"path": ["spec", "hostPorts"],
		"message": "PodSecurityPolicy allows host ports (spec.hostPorts)",
		"fix": [],
	}
}
