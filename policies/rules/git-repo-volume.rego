# METADATA
# title: Pods must not use gitRepo volumes
# description: >-
#   A gitRepo volume makes the kubelet run git on the node, as root, with a repository URL and
#   revision that the pod's author chooses. CVE-2024-10220 (fixed in kubelet 1.28.12, 1.29.7 and
#   1.30.3) let a crafted repository run hooks on the node; CVE-2025-1767 (never fixed: the plugin
#   is deprecated) lets a pod clone any repository the node can read, including another pod's.
#   Kubernetes 1.33 disables the plugin by default (feature gate GitRepoVolumeDriver) and 1.36
#   locks it off, so such a pod no longer starts there. Clone the repository from an init
#   container into an emptyDir volume instead. This rule reports the volume in place of
#   restricted-volume-types, with a message that depends on the configured kubernetesVersion.
# custom:
#   id: git-repo-volume
#   severity: high
#   profiles: [recommended]
#   pss: []
#   terrascan: []
#   fixable: false
#   kinds: [workloads]
#   reads: ["**.volumes"]
#   supersedes: [restricted-volume-types]
#   passes: No pod volume has a gitRepo source.
#   fix: "None: replace the volume with an emptyDir that an init container clones the repository into."
package kubepolicy.rules.git_repo_volume

import data.kubepolicy.lib

violations contains v if {
	some pod in lib.pods
	some i, volume in lib.arr(pod.spec.volumes)
	is_object(volume)
	volume.gitRepo != null
	v := {
		"path": array.concat(pod.path, ["volumes", i, "gitRepo"]),
		"message": sprintf("volume %s uses gitRepo: %s; clone from an init container into an emptyDir instead", [volume_name(volume, i), consequence]),
		"fix": [],
	}
}

consequence := "the plugin is locked off from Kubernetes 1.36, so the pod cannot start" if {
	lib.k8s_minor >= 36
} else := "the plugin is disabled by default from Kubernetes 1.33 (feature gate GitRepoVolumeDriver), and where enabled lets the pod's author clone any repository the node can read (CVE-2025-1767)" if {
	lib.k8s_minor >= 33
} else := "the kubelet runs git on the node as root: CVE-2024-10220 (fixed in kubelet 1.28.12, 1.29.7, 1.30.3) and CVE-2025-1767 (unfixed) let the pod's author run commands or read repositories on the node"

volume_name(volume, i) := sprintf("%q", [volume.name]) if {
	is_string(volume.name)
} else := sprintf("volumes[%v]", [i])
