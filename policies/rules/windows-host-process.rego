# METADATA
# title: Windows pods must not run as HostProcess containers
# description: >-
#   A Windows HostProcess container runs directly on the node as a normal host process, in the
#   host network namespace and with the node's filesystem, with no container isolation at all. It
#   is the Windows equivalent of a privileged pod with every host namespace: code running in it
#   administers the node. The baseline Pod Security Standard forbids
#   securityContext.windowsOptions.hostProcess: true at pod and container level; reserve such
#   pods for node management in a separate, tightly controlled namespace.
# custom:
#   id: windows-host-process
#   severity: critical
#   profiles: [default, pss-baseline, pss-restricted]
#   pss: [windowsHostProcess]
#   terrascan: []
#   fixable: true
#   kinds: [workloads]
#   reads: ["**.containers.*.name", "**.initContainers.*.name", "**.ephemeralContainers.*.name", "**.securityContext", "**.os.name"]
#   passes: securityContext.windowsOptions.hostProcess is unset or false on the pod and every container.
#   fix: Removes windowsOptions.hostProcess.
package kubepolicy.rules.windows_host_process

import data.kubepolicy.lib

violations contains v if {
	some pod in lib.pods
	pod.spec.securityContext.windowsOptions.hostProcess == true
	path := array.concat(pod.path, ["securityContext", "windowsOptions", "hostProcess"])
	v := {
		"path": path,
		"message": "pod spec sets securityContext.windowsOptions.hostProcess: true (runs on the host with no isolation)",
		"fix": [{"op": "remove", "path": path}],
	}
}

violations contains v if {
	some c in lib.containers
	c.security_context.windowsOptions.hostProcess == true
	path := array.concat(c.path, ["securityContext", "windowsOptions", "hostProcess"])
	v := {
		"path": path,
		"message": sprintf(
			"container %q sets securityContext.windowsOptions.hostProcess: true (runs on the host with no isolation)",
			[c.name],
		),
		"fix": [{"op": "remove", "path": path}],
	}
}
