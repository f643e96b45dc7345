# METADATA
# title: Containers must not run privileged
# description: >-
#   A privileged container gets every Linux capability, every host device and no seccomp, AppArmor or
#   SELinux confinement: it is root on the node in all but name. Whoever gets code execution in it, through
#   a vulnerable dependency or a poisoned image, can mount the node's disk, load kernel modules and take
#   over the node together with the credentials of every pod scheduled there. Very few workloads (some
#   network and storage drivers) truly need it; they should be isolated and suppressed with a reason.
# custom:
#   id: privileged-container
#   severity: critical
#   profiles: [default, pss-baseline, pss-restricted]
#   pss: [privileged]
#   terrascan: [AC_K8S_0046]
#   fixable: true
#   kinds: [workloads, PodSecurityPolicy]
#   reads: ["**.containers.*.name", "**.initContainers.*.name", "**.ephemeralContainers.*.name", "**.securityContext", "**.os.name", spec.privileged]
#   passes: >-
#     No container, init container or ephemeral container sets securityContext.privileged: true (unset
#     or false passes), and a PodSecurityPolicy does not set spec.privileged: true.
#   fix: Sets securityContext.privileged (or the PodSecurityPolicy's spec.privileged) to false.
package kubepolicy.rules.privileged_container

import data.kubepolicy.lib

violations contains v if {
	some c in lib.containers
	c.security_context.privileged == true
	path := array.concat(c.path, ["securityContext", "privileged"])
	v := {
		"path": path,
		"message": sprintf("container %q sets securityContext.privileged: true", [c.name]),
		"fix": [{"op": "set", "path": path, "value": false}],
	}
}

violations contains v if {
	lib.is_psp
	input.spec.privileged == true
	path := ["spec", "privileged"]
	v := {
		"path": path,
		"message": "PodSecurityPolicy allows privileged containers (spec.privileged: true)",
		"fix": [{"op": "set", "path": path, "value": false}],
	}
}
