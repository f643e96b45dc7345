# METADATA
# title: Containers must not add capabilities beyond the allowed set
# description: >-
#   Every added Linux capability widens what a compromised process can do to the node and its neighbours:
#   NET_RAW lets it forge packets for ARP and DNS spoofing inside the cluster network, NET_ADMIN rewrites
#   interfaces and firewall rules, SYS_PTRACE reads other processes' memory, SYS_MODULE loads kernel code.
#   The default and pss-restricted profiles allow adding only NET_BIND_SERVICE (binding ports below
#   1024); pss-baseline allows the container runtime's default set, as the Pod Security Standards do.
# custom:
#   id: capabilities-added
#   severity: medium
#   profiles: [default, pss-baseline, pss-restricted]
#   pss: [capabilities_baseline, capabilities_restricted]
#   terrascan: []
#   fixable: true
#   kinds: [workloads, PodSecurityPolicy]
#   reads: ["**.containers.*.name", "**.initContainers.*.name", "**.ephemeralContainers.*.name", "**.securityContext", "**.os.name", spec.allowedCapabilities]
#   passes: >-
#     securityContext.capabilities.add lists only NET_BIND_SERVICE (default and pss-restricted), or only
#     AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID,
#     SETPCAP, SETUID and SYS_CHROOT (pss-baseline, and Windows pods under every profile). Names are
#     matched exactly: chown and CAP_CHOWN are not CHOWN. A PodSecurityPolicy's allowedCapabilities stays
#     within the same set.
#   fix: Removes the entries outside the allowed set (and the add list when it becomes empty).
package kubepolicy.rules.capabilities_added

import data.kubepolicy.lib

# The Pod Security Standards baseline set: what container runtimes grant by default.
baseline := {
	"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
	"NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
}

restricted := {"NET_BIND_SERVICE"}

# Windows pods skip the Linux-only restricted check (as PSS does): the baseline set applies to them.
strict(c) if {
	lib.profile != "pss-baseline"
	not c.windows
}

allowed(c) := restricted if strict(c)

allowed(c) := baseline if not strict(c)

set_name(allowed_set) := "NET_BIND_SERVICE only" if allowed_set == restricted

set_name(allowed_set) := "the Pod Security Standards baseline set" if allowed_set == baseline

violations contains v if {
	some c in lib.containers
	added := c.security_context.capabilities.add
	is_array(added)
	some j, cap in added
	is_string(cap)
	allowed_set := allowed(c)
	not cap in allowed_set
	path := array.concat(c.path, ["securityContext", "capabilities", "add", j])
	v := {
		"path": path,
		"message": sprintf(
			"container %q adds capability %s (securityContext.capabilities.add), outside the allowed set: %s",
			[c.name, cap, set_name(allowed_set)],
		),
		"fix": [{"op": "remove", "path": path}],
	}
}

psp_allowed := baseline if lib.profile == "pss-baseline"

else := restricted

violations contains v if {
	lib.is_psp
	some j, cap in lib.arr(input.spec.allowedCapabilities)
	is_string(cap)
	not cap in psp_allowed
	path := ["spec", "allowedCapabilities", j]
	v := {
		"path": path,
		"message": sprintf(
			"PodSecurityPolicy allows containers to add %s (spec.allowedCapabilities), outside the allowed set: %s",
			[cap, set_name(psp_allowed)],
		),
		"fix": [{"op": "remove", "path": path}],
	}
}
