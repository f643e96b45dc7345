# METADATA
# title: Containers must run as a high, non-system UID
# description: >-
#   Host files and processes belong to low UIDs: root is 0, system accounts and the first human users sit
#   below 10000. A container whose user shares such a UID with a host account acts with that account's
#   rights when it escapes its sandbox or reaches a hostPath mount, and an unset runAsUser leaves the choice
#   to the image, which very often means root. Running every container with a UID at or above the
#   configured minimum (minUID, 10000 by default) makes a collision with a real host user unlikely.
# custom:
#   id: run-as-high-uid
#   severity: low
#   profiles: [default]
#   pss: []
#   terrascan: [AC_K8S_0079]
#   fixable: true
#   kinds: [workloads, PodSecurityPolicy]
#   reads: ["**.containers.*.name", "**.initContainers.*.name", "**.ephemeralContainers.*.name", "**.securityContext", "**.os.name", spec.runAsUser]
#   fixPreferred: false
#   passes: >-
#     Every container's effective runAsUser (its own securityContext value, else the pod's) is at least
#     minUID (default 10000). Windows pods are skipped: runAsUser is a Linux field they cannot set. A
#     PodSecurityPolicy uses runAsUser rule MustRunAs with every range starting at minUID or above.
#   fix: Sets the container's securityContext.runAsUser to minUID + 1 (10001), or raises the pod-level value it inherits.
package kubepolicy.rules.run_as_high_uid

import data.kubepolicy.lib

# min_uid is the rule parameter minUID (a number), 10000 by default.
min_uid := m if {
	m := lib.param("run-as-high-uid", "minUID", 10000)
	is_number(m)
} else := 10000

fix(path) := [{"op": "set", "path": path, "value": min_uid + 1}]

# The container sets a low UID itself.
violations contains v if {
	some c in lib.containers
	uid := c.security_context.runAsUser
	is_number(uid)
	uid < min_uid
	not c.windows
	path := array.concat(c.path, ["securityContext", "runAsUser"])
	v := {
		"path": path,
		"message": sprintf("container %q sets securityContext.runAsUser: %v, below the minimum UID %v", [c.name, uid, min_uid]),
		"fix": fix(path),
	}
}

# The container inherits a low pod-level UID: one finding per pod, on the pod's field.
violations contains v if {
	some c in lib.containers
	uid := c.pod.spec.securityContext.runAsUser
	is_number(uid)
	uid < min_uid
	object.get(c.security_context, "runAsUser", null) == null
	not c.windows
	path := array.concat(c.pod.path, ["securityContext", "runAsUser"])
	v := {
		"path": path,
		"message": sprintf("pod spec sets securityContext.runAsUser: %v, below the minimum UID %v", [uid, min_uid]),
		"fix": fix(path),
	}
}

# Neither the container nor the pod sets a UID: the image decides.
violations contains v if {
	some c in lib.containers
	object.get(c.security_context, "runAsUser", null) == null
	object.get(c.pod.spec, ["securityContext", "runAsUser"], null) == null
	not c.windows
	path := array.concat(c.path, ["securityContext", "runAsUser"])
	v := {
		"path": path,
		"message": sprintf("container %q has no securityContext.runAsUser (nor does the pod), so the image picks the UID, often root", [c.name]),
		"fix": fix(path),
	}
}

violations contains v if {
	lib.is_psp
	rule := input.spec.runAsUser.rule
	rule in {"RunAsAny", "MustRunAsNonRoot"}
	v := {
		"path": ["spec", "runAsUser"],
		"message": sprintf("PodSecurityPolicy runAsUser rule %s allows UIDs below %v", [rule, min_uid]),
		"fix": [],
	}
}

violations contains v if {
	lib.is_psp
	input.spec.runAsUser.rule == "MustRunAs"
	some k, r in lib.arr(input.spec.runAsUser.ranges)
	is_number(r.min)
	r.min < min_uid
	v := {
		"path": ["spec", "runAsUser", "ranges", k],
		"message": sprintf("PodSecurityPolicy allows UIDs below %v (spec.runAsUser.ranges[%d].min: %v)", [min_uid, k, r.min]),
		"fix": [],
	}
}
