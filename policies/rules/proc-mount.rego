# METADATA
# title: Containers must use the default /proc mount
# description: >-
#   The container runtime masks and makes read-only sensitive parts of /proc and /sys
#   (/proc/kcore, /proc/sysrq-trigger, /proc/keys, /sys/firmware and others) that expose host
#   memory, kernel keys and hardware controls. procMount: Unmasked removes those masks, giving a
#   compromised container a direct path to host information and to kernel interfaces used in
#   escapes. The Pod Security Standards require the Default proc mount. Since Kubernetes 1.35 the
#   baseline level tolerates Unmasked only in a user namespace (hostUsers: false), where host
#   root is not mapped into the container; the restricted level and the default profile never
#   allow it.
# custom:
#   id: proc-mount
#   severity: high
#   profiles: [default, pss-baseline, pss-restricted]
#   pss: [procMount, procMount_restricted]
#   terrascan: []
#   fixable: true
#   kinds: [workloads]
#   reads: ["**.containers.*.name", "**.initContainers.*.name", "**.ephemeralContainers.*.name", "**.securityContext", "**.os.name", "**.hostUsers", spec.allowedProcMountTypes]
#   passes: >-
#     securityContext.procMount is unset or Default on every container (under pss-baseline on
#     Kubernetes 1.35+, Unmasked is also accepted when the pod sets hostUsers: false).
#   fix: Sets securityContext.procMount to Default.
package kubepolicy.rules.proc_mount

import data.kubepolicy.lib

violations contains v if {
	some c in lib.containers
	proc_mount := c.security_context.procMount
	proc_mount != null
	proc_mount != "Default"
	not tolerated(c.pod, proc_mount)
	path := array.concat(c.path, ["securityContext", "procMount"])
	v := {
		"path": path,
		"message": sprintf(
			"container %q sets securityContext.procMount %s%s",
			[c.name, show(proc_mount), hint(proc_mount)],
		),
		"fix": [{"op": "set", "path": path, "value": "Default"}],
	}
}

# Baseline (1.35+): Unmasked is tolerated in a user namespace.
tolerated(pod, "Unmasked") if {
	lib.profile == "pss-baseline"
	lib.k8s_minor >= 35
	pod.spec.hostUsers == false
}

hint("Unmasked") := ", which unmasks /proc" if lib.profile != "pss-baseline"

else := ", which unmasks /proc without a user namespace (hostUsers: false)" if lib.k8s_minor >= 35

else := ", which unmasks /proc"

hint(x) := "; only Default is allowed" if x != "Unmasked"

show(x) := sprintf("%q", [x]) if is_string(x)

else := sprintf("%v", [x])
