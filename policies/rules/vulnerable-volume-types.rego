# METADATA
# title: Volume types affected by CVE-2020-8555 must not be used
# description: >-
#   CVE-2020-8555 is a server-side request forgery in the in-tree GlusterFS, Quobyte, StorageOS
#   and ScaleIO volume plugins: a user who can create a pod or PersistentVolume with one of them
#   can make kube-controller-manager (or the kubelet) send requests to arbitrary hosts on its
#   network, and read part of the response through events and errors. That reaches cloud metadata
#   endpoints and internal services the controller can see, leaking credentials. These plugins are
#   deprecated or removed; use a CSI driver instead. Pods, PersistentVolumes, StorageClasses with
#   the in-tree provisioners, and PodSecurityPolicies that allow these types (or "*") are flagged.
# custom:
#   id: vulnerable-volume-types
#   severity: high
#   profiles: [default]
#   pss: []
#   terrascan: [AC_K8S_0130]
#   fixable: false
#   kinds: [workloads, PodSecurityPolicy, PersistentVolume, StorageClass]
#   reads: ["**.volumes", spec.glusterfs, spec.quobyte, spec.storageos, spec.scaleIO, provisioner]
#   supersedes: [restricted-volume-types]
#   passes: >-
#     No pod volume or PersistentVolume uses glusterfs, quobyte, storageos or scaleIO, no
#     StorageClass uses their in-tree provisioners, and no PodSecurityPolicy allows them or "*".
#   fix: "None: suppress the finding if intended."
package kubepolicy.rules.vulnerable_volume_types

import data.kubepolicy.lib

vulnerable_types := {"glusterfs", "quobyte", "storageos", "scaleIO"}

vulnerable_provisioners := {
	"kubernetes.io/glusterfs",
	"kubernetes.io/quobyte",
	"kubernetes.io/storageos",
	"kubernetes.io/scaleio",
}

violations contains v if {
	some pod in lib.pods
	volumes := pod.spec.volumes
	is_array(volumes)
	some i, volume in volumes
	some vtype in vulnerable_types
	volume[vtype] != null
	v := {
		"path": array.concat(pod.path, ["volumes", i, vtype]),
		"message": sprintf("volume %s uses %s, affected by CVE-2020-8555", [volume_name(volume, i), vtype]),
		"fix": [],
	}
}

violations contains v if {
	input.kind == "PersistentVolume"
	some vtype in vulnerable_types
	object.get(input, ["spec", vtype], null) != null
	v := {
		"path": ["spec", vtype],
		"message": sprintf("PersistentVolume uses %s (spec.%s), affected by CVE-2020-8555", [vtype, vtype]),
		"fix": [],
	}
}

violations contains v if {
	input.kind == "StorageClass"
	input.provisioner in vulnerable_provisioners
	v := {
		"path": ["provisioner"],
		"message": sprintf("StorageClass uses the in-tree provisioner %q, affected by CVE-2020-8555", [input.provisioner]),
		"fix": [],
	}
}

violations contains v if {
	lib.is_psp
	some j, entry in lib.arr(object.get(input, ["spec", "volumes"], []))
	psp_vulnerable(entry)
	v := {
		"path": ["spec", "volumes", j],
		"message": sprintf("PodSecurityPolicy allows volume type %q (spec.volumes), affected by CVE-2020-8555", [entry]),
		"fix": [],
	}
}

psp_vulnerable("*")

psp_vulnerable(entry) if entry in vulnerable_types

volume_name(volume, i) := sprintf("%q", [volume.name]) if {
	is_string(volume.name)
} else := sprintf("volumes[%v]", [i])
