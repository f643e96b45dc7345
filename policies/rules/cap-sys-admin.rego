# METADATA
# title: Containers must not add CAP_SYS_ADMIN
# description: >-
#   CAP_SYS_ADMIN is the catch-all capability, often called "the new root": it allows mount, bpf,
#   namespace, cgroup and many device operations, and it is the prerequisite of most known container
#   escapes (the cgroup release_agent escape, mounting the host's block devices). Adding it, or adding ALL
#   capabilities, removes most of what separates the container from the node.
# custom:
#   id: cap-sys-admin
#   severity: critical
#   profiles: [default, pss-baseline, pss-restricted]
#   pss: [capabilities_baseline, capabilities_restricted]
#   terrascan: [AC_K8S_0075]
#   fixable: true
#   kinds: [workloads, PodSecurityPolicy]
#   reads: ["**.containers.*.name", "**.initContainers.*.name", "**.ephemeralContainers.*.name", "**.securityContext", "**.os.name", spec.allowedCapabilities, spec.defaultAddCapabilities]
#   supersedes: [capabilities-added]
#   passes: >-
#     No container's securityContext.capabilities.add has SYS_ADMIN, CAP_SYS_ADMIN or ALL (in any case),
#     and a PodSecurityPolicy has none of them, nor "*", in allowedCapabilities or defaultAddCapabilities.
#   fix: Removes the entry (and the add list when it becomes empty).
package kubepolicy.rules.cap_sys_admin

import data.kubepolicy.lib

forbidden := {"SYS_ADMIN", "CAP_SYS_ADMIN", "ALL"}

violations contains v if {
	some c in lib.containers
	added := c.security_context.capabilities.add
	is_array(added)
	some j, cap in added
	is_string(cap)
	upper(cap) in forbidden
	path := array.concat(c.path, ["securityContext", "capabilities", "add", j])
	v := {
		"path": path,
		"message": sprintf("container %q %s (securityContext.capabilities.add)", [c.name, adds(cap)]),
		"fix": [{"op": "remove", "path": path}],
	}
}

adds(cap) := sprintf("adds all capabilities with %s, SYS_ADMIN included", [cap]) if upper(cap) == "ALL"

adds(cap) := sprintf("adds capability %s", [cap]) if upper(cap) != "ALL"

violations contains v if {
	lib.is_psp
	some field in ["allowedCapabilities", "defaultAddCapabilities"]
	some j, cap in lib.arr(input.spec[field])
	is_string(cap)
	psp_forbidden(cap)
	path := ["spec", field, j]
	v := {
		"path": path,
		"message": sprintf("PodSecurityPolicy %s %s (spec.%s)", [psp_verb[field], psp_what(cap), field]),
		"fix": [{"op": "remove", "path": path}],
	}
}

psp_forbidden(cap) if upper(cap) in forbidden

psp_forbidden("*")

psp_verb := {"allowedCapabilities": "allows containers to add", "defaultAddCapabilities": "adds to every container"}

psp_what(cap) := sprintf("every capability (%q), SYS_ADMIN included", [cap]) if all_caps(cap)

psp_what(cap) := cap if not all_caps(cap)

all_caps("*")

all_caps(cap) if upper(cap) == "ALL"
