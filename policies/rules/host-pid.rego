# METADATA
# title: Pods must not share the host PID namespace
# description: >-
#   With hostPID the container sees every process of the node. It can read their command lines and,
#   with enough privileges, their environment (often full of secrets), reach other containers' file
#   systems through /proc/<pid>/root, and signal, trace or inject into host processes. Sharing the host
#   PID namespace is a classic first step of a container escape.
# custom:
#   id: host-pid
#   severity: high
#   profiles: [default, pss-baseline, pss-restricted]
#   pss: [hostNamespaces]
#   terrascan: [AC_K8S_0082]
#   fixable: true
#   kinds: [workloads, PodSecurityPolicy]
#   reads: ["**.hostPID"]
#   passes: >-
#     The pod spec does not set hostPID, or sets it to false; a PodSecurityPolicy does not set
#     spec.hostPID: true.
#   fix: Removes hostPID (from the pod spec or the PodSecurityPolicy).
package kubepolicy.rules.host_pid

import data.kubepolicy.lib

violations contains v if {
	some pod in lib.pods
	pod.spec.hostPID == true
	path := array.concat(pod.path, ["hostPID"])
	v := {
		"path": path,
		"message": "pod spec sets hostPID: true",
		"fix": [{"op": "remove", "path": path}],
	}
}

violations contains v if {
	lib.is_psp
	input.spec.hostPID == true
	path := ["spec", "hostPID"]
	v := {
		"path": path,
		"message": "PodSecurityPolicy allows the host PID namespace (spec.hostPID: true)",
		"fix": [{"op": "remove", "path": path}],
	}
}
