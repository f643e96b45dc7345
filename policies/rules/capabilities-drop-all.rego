# METADATA
# title: Containers must drop all capabilities
# description: >-
#   Container runtimes grant a default set of Linux capabilities (CHOWN, DAC_OVERRIDE, FOWNER,
#   SETUID, SETGID, NET_RAW, MKNOD and others) to every process unless told otherwise. They are
#   rarely needed by an application, but they are exactly what an attacker who gains code execution
#   uses next: NET_RAW allows ARP and DNS spoofing of neighbouring pods, DAC_OVERRIDE and FOWNER
#   bypass file permissions, SETUID/SETGID ease privilege escalation through setuid binaries, and
#   several kernel exploits depend on one of them. Dropping ALL and adding back only what the
#   workload needs (typically NET_BIND_SERVICE) is the least-privilege baseline the restricted Pod
#   Security Standard requires. A PodSecurityPolicy must likewise require dropping ALL.
#   Windows pods are skipped, as Pod Security Admission does: Linux capabilities do not apply to them.
# custom:
#   id: capabilities-drop-all
#   severity: medium
#   profiles: [default, pss-restricted]
#   pss: [capabilities_restricted]
#   terrascan: []
#   fixable: true
#   kinds: [workloads, PodSecurityPolicy]
#   reads: ["**.containers.*.name", "**.initContainers.*.name", "**.ephemeralContainers.*.name", "**.securityContext", "**.os.name", spec.requiredDropCapabilities]
#   passes: >-
#     Every container (including init and ephemeral containers) has "ALL" in
#     securityContext.capabilities.drop; a PodSecurityPolicy lists "ALL" in requiredDropCapabilities.
#   fix: Adds "ALL" to the container's securityContext.capabilities.drop list (or the PSP's requiredDropCapabilities).
package kubepolicy.rules.capabilities_drop_all

import data.kubepolicy.lib

violations contains v if {
	some c in lib.containers
	drop := object.get(c.security_context, ["capabilities", "drop"], null)
	not "ALL" in lib.arr(drop)
	not c.windows
	path := array.concat(c.path, ["securityContext", "capabilities", "drop"])
	v := {
		"path": path,
		"message": drop_message(c.name, drop),
		"fix": [add_all(path, drop)],
	}
}

# Capability names are case-sensitive, in Pod Security Admission as in the runtimes: a drop list with
# "all" (or "All") drops nothing, and the message says so.
drop_message(name, drop) := sprintf(
	"container %q drops %q, not \"ALL\" (securityContext.capabilities.drop): capability names are case-sensitive, and only the exact \"ALL\" drops every capability",
	[name, near],
) if {
	some near in lib.arr(drop)
	is_string(near)
	upper(near) == "ALL"
} else := sprintf("container %q does not drop ALL capabilities (securityContext.capabilities.drop)", [name])

violations contains v if {
	lib.is_psp
	drop := object.get(input, ["spec", "requiredDropCapabilities"], null)
	not "ALL" in lib.arr(drop)
	path := ["spec", "requiredDropCapabilities"]
	v := {
		"path": path,
		"message": "PodSecurityPolicy does not require dropping ALL capabilities (spec.requiredDropCapabilities)",
		"fix": [add_all(path, drop)],
	}
}

# add_all appends "ALL" to the drop list; a drop value that is not a list is replaced by ["ALL"].
add_all(path, drop) := {"op": "add", "path": path, "value": "ALL"} if {
	is_drop_list(drop)
} else := {"op": "set", "path": path, "value": ["ALL"]}

is_drop_list(drop) if is_array(drop)

is_drop_list(null)
