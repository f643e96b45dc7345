# METADATA
# title: Pods must not use the host network
# description: >-
#   A pod with hostNetwork uses the node's network stack directly: it can bind any port of the node,
#   sniff traffic on the node's interfaces, reach services that listen on the node's localhost (the
#   kubelet, node-local agents, cloud metadata proxies), and it bypasses NetworkPolicies, which select pod
#   traffic. A compromised pod becomes a foothold on the node's network.
# custom:
#   id: host-network
#   severity: high
#   profiles: [default, pss-baseline, pss-restricted]
#   pss: [hostNamespaces]
#   terrascan: [AC_K8S_0084]
#   fixable: true
#   kinds: [workloads, PodSecurityPolicy]
#   reads: ["**.hostNetwork"]
#   passes: >-
#     The pod spec does not set hostNetwork, or sets it to false; a PodSecurityPolicy does not set
#     spec.hostNetwork: true.
#   fix: Removes hostNetwork (from the pod spec or the PodSecurityPolicy).
package kubepolicy.rules.host_network

import data.kubepolicy.lib

violations contains v if {
	some pod in lib.pods
	pod.spec.hostNetwork == true
	path := array.concat(pod.path, ["hostNetwork"])
	v := {
		"path": path,
		"message": "pod spec sets hostNetwork: true",
		"fix": [{"op": "remove", "path": path}],
	}
}

violations contains v if {
	lib.is_psp
	input.spec.hostNetwork == true
	path := ["spec", "hostNetwork"]
	v := {
		"path": path,
		"message": "PodSecurityPolicy allows the host network namespace (spec.hostNetwork: true)",
		"fix": [{"op": "remove", "path": path}],
	}
}
