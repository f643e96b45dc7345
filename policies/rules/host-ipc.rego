# METADATA
# title: Pods must not share the host IPC namespace
# description: >-
#   With hostIPC the pod shares System V IPC objects and POSIX shared memory with every process of the
#   node, host daemons and other pods that use hostIPC included. A compromised container can then read or
#   corrupt those processes' shared memory segments (data, credentials, application state) and interfere
#   with their semaphores and message queues. Almost no application needs it.
# custom:
#   id: host-ipc
#   severity: high
#   profiles: [default, pss-baseline, pss-restricted]
#   pss: [hostNamespaces]
#   terrascan: [AC_K8S_0083]
#   fixable: true
#   kinds: [workloads, PodSecurityPolicy]
#   reads: ["**.hostIPC"]
#   passes: >-
#     The pod spec does not set hostIPC, or sets it to false; a PodSecurityPolicy does not set
#     spec.hostIPC: true.
#   fix: Removes hostIPC (from the pod spec or the PodSecurityPolicy).
package kubepolicy.rules.host_ipc

import data.kubepolicy.lib

violations contains v if {
	some pod in lib.pods
	pod.spec.hostIPC == true
	path := array.concat(pod.path, ["hostIPC"])
	v := {
		"path": path,
		"message": "pod spec sets hostIPC: true",
		"fix": [{"op": "remove", "path": path}],
	}
}

violations contains v if {
	lib.is_psp
	input.spec.hostIPC == true
	path := ["spec", "hostIPC"]
	v := {
		"path": path,
		"message": "PodSecurityPolicy allows the host IPC namespace (spec.hostIPC: true)",
		"fix": [{"op": "remove", "path": path}],
	}
}
