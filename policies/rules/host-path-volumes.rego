# METADATA
# title: Pods must not mount hostPath volumes
# description: >-
#   A hostPath volume mounts a file or directory of the node into the container. Whatever the
#   path, it breaks the isolation between the pod and the node: a writable mount of a system
#   directory lets the container plant binaries, cron jobs or kubelet configuration and take over
#   the node; read-only mounts still leak credentials, other pods' data and service account tokens;
#   and even /dev/null-like paths have been used in symlink and subPath escapes. The baseline Pod
#   Security Standard forbids every hostPath volume. Use a PersistentVolumeClaim, a CSI driver,
#   emptyDir or a projected volume instead. A PodSecurityPolicy must not allow hostPath (or "*").
# custom:
#   id: host-path-volumes
#   severity: high
#   profiles: [default, pss-baseline, pss-restricted]
#   pss: [hostPathVolumes, restrictedVolumes]
#   terrascan: []
#   fixable: false
#   kinds: [workloads, PodSecurityPolicy]
#   reads: ["**.volumes", spec.allowedHostPaths]
#   passes: >-
#     No pod volume is a hostPath; a PodSecurityPolicy's volumes list names neither hostPath nor "*".
#   fix: "None: suppress the finding if intended."
package kubepolicy.rules.host_path_volumes

import data.kubepolicy.lib

violations contains v if {
	some pod in lib.pods
	volumes := pod.spec.volumes
	is_array(volumes)
	some i, volume in volumes
	volume.hostPath != null
	v := {
		"path": array.concat(pod.path, ["volumes", i, "hostPath"]),
		"message": sprintf("volume %s mounts the host path %s (hostPath)", [volume_name(volume, i), host_path(volume)]),
		"fix": [],
	}
}

violations contains v if {
	lib.is_psp
	some j, entry in lib.arr(object.get(input, ["spec", "volumes"], []))
	entry in {"hostPath", "*"}
	v := {
		"path": ["spec", "volumes", j],
		"message": sprintf("PodSecurityPolicy allows hostPath volumes (spec.volumes has %q)", [entry]),
		"fix": [],
	}
}

volume_name(volume, i) := sprintf("%q", [volume.name]) if {
	is_string(volume.name)
} else := sprintf("volumes[%v]", [i])

host_path(volume) := sprintf("%q", [volume.hostPath.path]) if {
	is_string(volume.hostPath.path)
} else := "(no path)"
