# METADATA
# title: Pods must only use the restricted set of volume types
# description: >-
#   Each in-tree volume plugin runs with node privileges: it mounts network filesystems, attaches
#   block devices, or talks to storage APIs on behalf of the pod, and several (gitRepo, the
#   CVE-2020-8555 plugins, flexVolume drivers) have let a pod author run commands or reach
#   networks as the node. The restricted Pod Security Standard allows only the types whose data
#   comes from the Kubernetes API or from storage an administrator has provisioned: configMap,
#   csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected and secret.
#   Anything else should be exposed through a PersistentVolume and claimed with a
#   PersistentVolumeClaim. hostPath volumes are reported by host-path-volumes.
# custom:
#   id: restricted-volume-types
#   severity: medium
#   profiles: [default, pss-restricted]
#   pss: [restrictedVolumes]
#   terrascan: []
#   fixable: false
#   kinds: [workloads]
#   reads: ["**.volumes"]
#   passes: >-
#     Every pod volume is a configMap, csi, downwardAPI, emptyDir, ephemeral, image,
#     persistentVolumeClaim, projected or secret volume (a volume with no source is an emptyDir).
#   fix: "None: suppress the finding if intended."
package kubepolicy.rules.restricted_volume_types

import data.kubepolicy.lib

allowed_types := {
	"configMap",
	"csi",
	"downwardAPI",
	"emptyDir",
	"ephemeral",
	"image",
	"persistentVolumeClaim",
	"projected",
	"secret",
}

# Keys of a volume that are not a volume source: its name, and hostPath (host-path-volumes).
ignored_keys := {"name", "hostPath"}

violations contains v if {
	some pod in lib.pods
	volumes := pod.spec.volumes
	is_array(volumes)
	some i, volume in volumes
	is_object(volume)
	some vtype, source in volume
	is_string(vtype)
	source != null
	not vtype in allowed_types
	not vtype in ignored_keys
	v := {
		"path": array.concat(pod.path, ["volumes", i, vtype]),
		"message": sprintf(
			"volume %s uses %s, which is not an allowed volume type (configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected, secret)",
			[volume_name(volume, i), vtype],
		),
		"fix": [],
	}
}

volume_name(volume, i) := sprintf("%q", [volume.name]) if {
	is_string(volume.name)
} else := sprintf("volumes[%v]", [i])
