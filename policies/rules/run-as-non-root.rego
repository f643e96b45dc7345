# METADATA
# title: Containers must run as a non-root user
# description: >-
#   A process running as UID 0 inside a container is root on the host's kernel: user namespaces
#   are not used by default, so any container escape, writable host mount, or kernel bug reachable
#   from the container hands the attacker full control of the node. Root in the container also
#   defeats file permissions on mounted volumes and secrets. Setting runAsNonRoot: true makes the
#   kubelet refuse to start a container whose image would run as root, and runAsUser must never be
#   0. Both are required by the restricted Pod Security Standard; pod-level runAsNonRoot: true
#   covers every container unless a container sets false itself. A PodSecurityPolicy whose
#   runAsUser rule is RunAsAny allows root.
# custom:
#   id: run-as-non-root
#   severity: high
#   profiles: [default, pss-restricted]
#   pss: [runAsNonRoot, runAsUser]
#   terrascan: [AC_K8S_0087]
#   fixable: true
#   kinds: [workloads, PodSecurityPolicy]
#   reads: ["**.containers.*.name", "**.initContainers.*.name", "**.ephemeralContainers.*.name", "**.securityContext", "**.os.name", spec.runAsUser]
#   supersedes: [run-as-high-uid]
#   passes: >-
#     The pod sets securityContext.runAsNonRoot: true (or every container does), no container sets
#     it to false, and no runAsUser is 0; a PodSecurityPolicy uses a runAsUser rule other than RunAsAny.
#   fix: Sets runAsNonRoot to true (at pod level, or on the container that set false) and a runAsUser of 0 to 10001.
package kubepolicy.rules.run_as_non_root

import data.kubepolicy.lib

# A container that sets runAsNonRoot: false itself.
violations contains v if {
	some c in lib.containers
	c.security_context.runAsNonRoot == false
	path := array.concat(c.path, ["securityContext", "runAsNonRoot"])
	v := {
		"path": path,
		"message": sprintf("container %q sets securityContext.runAsNonRoot: false, so it may run as root", [c.name]),
		"fix": [{"op": "set", "path": path, "value": true}],
	}
}

# The pod-level value is not true and at least one container inherits it: one finding per pod.
violations contains v if {
	some pod in lib.pods
	pod_value := object.get(pod.spec, ["securityContext", "runAsNonRoot"], null)
	pod_value != true
	names := inheriting(pod)
	count(names) > 0
	path := array.concat(pod.path, ["securityContext", "runAsNonRoot"])
	v := {
		"path": path,
		"message": pod_message(pod_value, names),
		"fix": [{"op": "set", "path": path, "value": true}],
	}
}

# runAsUser: 0 at pod level.
violations contains v if {
	some pod in lib.pods
	pod.spec.securityContext.runAsUser == 0
	path := array.concat(pod.path, ["securityContext", "runAsUser"])
	v := {
		"path": path,
		"message": "pod spec sets securityContext.runAsUser: 0 (root)",
		"fix": [{"op": "set", "path": path, "value": 10001}],
	}
}

# runAsUser: 0 on a container.
violations contains v if {
	some c in lib.containers
	c.security_context.runAsUser == 0
	path := array.concat(c.path, ["securityContext", "runAsUser"])
	v := {
		"path": path,
		"message": sprintf("container %q sets securityContext.runAsUser: 0 (root)", [c.name]),
		"fix": [{"op": "set", "path": path, "value": 10001}],
	}
}

violations contains v if {
	lib.is_psp
	object.get(input, ["spec", "runAsUser", "rule"], null) == "RunAsAny"
	v := {
		"path": ["spec", "runAsUser", "rule"],
		"message": "PodSecurityPolicy allows running as root (spec.runAsUser.rule: RunAsAny)",
		"fix": [],
	}
}

# inheriting: names of the pod's containers that do not set a boolean runAsNonRoot of their own,
# so the pod-level value decides for them.
inheriting(pod) := {c.name |
	some c in lib.containers
	c.pod.path == pod.path
	not is_boolean(object.get(c.security_context, "runAsNonRoot", null))
}

pod_message(false, names) := sprintf(
	"pod spec sets securityContext.runAsNonRoot: false, inherited by %s",
	[describe(names)],
)

pod_message(value, names) := sprintf(
	"%s may run as root: securityContext.runAsNonRoot is not true at pod level or on the container",
	[describe(names)],
) if value != false

describe(names) := sprintf("container %s", [quoted(names)]) if count(names) == 1

describe(names) := sprintf("containers %s", [quoted(names)]) if count(names) > 1

quoted(names) := concat(", ", [sprintf("%q", [n]) | some n in sort(names)])
