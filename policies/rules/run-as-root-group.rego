# METADATA
# title: Pods and containers must not run with the root group
# description: >-
#   A process whose group is 0 (root) can read and write every file the root group may: in the
#   image, in volumes, and on any host path mounted into the pod. Setting runAsGroup, fsGroup or a
#   supplemental group to 0 hands that group to the workload on purpose, even when it runs as a
#   non-root user, which undoes part of what runAsNonRoot buys. Only explicit zeros are reported: an
#   unset group is the image's default, and images built for arbitrary user ids (OpenShift) run
#   with group 0 by design. Windows pods are skipped: these fields do not apply to them.
# custom:
#   id: run-as-root-group
#   severity: medium
#   profiles: [recommended]
#   pss: []
#   terrascan: []
#   fixable: true
#   kinds: [workloads]
#   reads: ["**.containers.*.name", "**.initContainers.*.name", "**.ephemeralContainers.*.name", "**.securityContext", "**.os.name", spec.runAsGroup]
#   fixPreferred: false
#   passes: >-
#     No container's effective runAsGroup is 0, and the pod's securityContext sets neither fsGroup 0
#     nor 0 in supplementalGroups.
#   fix: >-
#     Sets runAsGroup or fsGroup to the gid parameter (default 10001; not preferred, as files owned by
#     group 0 in the image may become unreadable), or removes 0 from supplementalGroups.
package kubepolicy.rules.run_as_root_group

import data.kubepolicy.lib

gid := lib.param("run-as-root-group", "gid", 10001)

# A container that sets runAsGroup: 0 itself.
violations contains v if {
	some c in lib.containers
	not c.windows
	c.security_context.runAsGroup == 0
	path := array.concat(c.path, ["securityContext", "runAsGroup"])
	v := {
		"path": path,
		"message": sprintf("container %q runs with the root group (securityContext.runAsGroup: 0)", [c.name]),
		"fix": [{"op": "set", "path": path, "value": gid}],
	}
}

# A pod-level runAsGroup: 0, once, unless every container overrides it with a non-zero group.
violations contains v if {
	some pod in lib.pods
	not lib.is_windows(pod)
	lib.pod_security_context(pod).runAsGroup == 0
	not every_container_overrides(pod)
	inheriting := {c.name |
		some c in lib.containers
		c.pod.path == pod.path
		object.get(c.security_context, "runAsGroup", null) == null
	}
	path := array.concat(pod.path, ["securityContext", "runAsGroup"])
	v := {
		"path": path,
		"message": pod_group_message(inheriting),
		"fix": [{"op": "set", "path": path, "value": gid}],
	}
}

# A container overrides the pod's group with its own non-zero one (a container-level 0 is
# reported at the container, and does not override the pod's 0 away).
overrides(c) if {
	g := c.security_context.runAsGroup
	g != null
	g != 0
}

# every_container_overrides: the pod has containers and each sets its own non-zero group (a pod spec
# without containers has nothing that overrides its group).
every_container_overrides(pod) if {
	mine := [c | some c in lib.containers; c.pod.path == pod.path]
	count(mine) > 0
	every c in mine {
		overrides(c)
	}
}

violations contains v if {
	some pod in lib.pods
	not lib.is_windows(pod)
	lib.pod_security_context(pod).fsGroup == 0
	path := array.concat(pod.path, ["securityContext", "fsGroup"])
	v := {
		"path": path,
		"message": "pod gives its volumes to the root group (securityContext.fsGroup: 0)",
		"fix": [{"op": "set", "path": path, "value": gid}],
	}
}

violations contains v if {
	some pod in lib.pods
	not lib.is_windows(pod)
	some j, g in lib.arr(lib.pod_security_context(pod).supplementalGroups)
	g == 0
	path := array.concat(pod.path, ["securityContext", "supplementalGroups", j])
	v := {
		"path": path,
		"message": "pod adds the root group to every container's processes (0 in securityContext.supplementalGroups)",
		"fix": [{"op": "remove", "path": path}],
	}
}

pod_group_message(names) := sprintf("pod runs %s with the root group (securityContext.runAsGroup: 0)", [describe(names)]) if {
	count(names) > 0
} else := "pod sets the root group for its containers (securityContext.runAsGroup: 0)"

describe(names) := sprintf("container %q", [n]) if {
	count(names) == 1
	some n in names
}

describe(names) := sprintf("containers %s", [concat(", ", [sprintf("%q", [n]) | some n in sort(names)])]) if {
	count(names) > 1
}
