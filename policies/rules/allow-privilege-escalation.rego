# METADATA
# title: Containers must not allow privilege escalation
# description: >-
#   allowPrivilegeEscalation sets the no_new_privs flag on the container's processes. While escalation is
#   allowed, and it is unless the field is explicitly false, even for a non-root container, a process can
#   gain privileges through setuid or setgid binaries and file capabilities in the image: a foothold as an
#   unprivileged user becomes root inside the container, one step from a container escape. Setting it to
#   false costs nothing for almost every application.
# custom:
#   id: allow-privilege-escalation
#   severity: high
#   profiles: [default, pss-restricted]
#   pss: [allowPrivilegeEscalation]
#   terrascan: [AC_K8S_0085]
#   fixable: true
#   kinds: [workloads, PodSecurityPolicy]
#   reads: ["**.containers.*.name", "**.initContainers.*.name", "**.ephemeralContainers.*.name", "**.securityContext", "**.os.name", spec.allowPrivilegeEscalation]
#   passes: >-
#     Every container, init container and ephemeral container sets
#     securityContext.allowPrivilegeEscalation: false explicitly. Windows pods (spec.os.name: windows) are
#     skipped, as the Pod Security Standards do. A PodSecurityPolicy sets spec.allowPrivilegeEscalation: false.
#   fix: Sets securityContext.allowPrivilegeEscalation (or the PodSecurityPolicy's spec.allowPrivilegeEscalation) to false.
package kubepolicy.rules.allow_privilege_escalation

import data.kubepolicy.lib

violations contains v if {
	some c in lib.containers
	value := object.get(c.security_context, "allowPrivilegeEscalation", null)
	value != false
	not c.windows
	path := array.concat(c.path, ["securityContext", "allowPrivilegeEscalation"])
	v := {
		"path": path,
		"message": sprintf("container %q %s", [c.name, problem(value)]),
		"fix": [{"op": "set", "path": path, "value": false}],
	}
}

violations contains v if {
	lib.is_psp
	value := object.get(lib.obj(input.spec), "allowPrivilegeEscalation", null)
	value != false
	path := ["spec", "allowPrivilegeEscalation"]
	v := {
		"path": path,
		"message": sprintf("PodSecurityPolicy allows privilege escalation (spec.allowPrivilegeEscalation %s)", [psp_state(value)]),
		"fix": [{"op": "set", "path": path, "value": false}],
	}
}

problem(null) := "does not set securityContext.allowPrivilegeEscalation: false (unset allows escalation)"

problem(true) := "sets securityContext.allowPrivilegeEscalation: true"

problem(x) := sprintf("sets securityContext.allowPrivilegeEscalation to %s, not false", [json.marshal(x)]) if {
	not x in {null, true}
}

psp_state(null) := "unset"

psp_state(x) := sprintf(": %s", [json.marshal(x)]) if x != null
