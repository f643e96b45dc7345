# METADATA
# title: Containers must use a read-only root file system
# description: >-
#   A writable root file system lets an attacker with code execution in the container drop tools, patch
#   binaries and configuration, and plant persistence that survives until the container is replaced; it
#   also lets a buggy application fill the node's disk through the container's writable layer. With a
#   read-only root file system the container can only write where it declares a volume (an emptyDir for
#   scratch space, for example), which makes tampering much harder and the container's state explicit.
# custom:
#   id: read-only-root-filesystem
#   severity: medium
#   profiles: [default]
#   pss: []
#   terrascan: [AC_K8S_0078]
#   fixable: true
#   kinds: [workloads, PodSecurityPolicy]
#   reads: ["**.containers.*.name", "**.initContainers.*.name", "**.ephemeralContainers.*.name", "**.securityContext", "**.os.name", spec.readOnlyRootFilesystem]
#   passes: >-
#     Every container, init container and ephemeral container sets
#     securityContext.readOnlyRootFilesystem: true. Windows pods are skipped: they cannot set the field.
#     A PodSecurityPolicy sets spec.readOnlyRootFilesystem: true.
#   fix: Sets securityContext.readOnlyRootFilesystem (or the PodSecurityPolicy's spec.readOnlyRootFilesystem) to true.
package kubepolicy.rules.read_only_root_filesystem

import data.kubepolicy.lib

violations contains v if {
	some c in lib.containers
	value := object.get(c.security_context, "readOnlyRootFilesystem", null)
	value != true
	not c.windows
	path := array.concat(c.path, ["securityContext", "readOnlyRootFilesystem"])
	v := {
		"path": path,
		"message": sprintf("container %q %s", [c.name, problem(value)]),
		"fix": [{"op": "set", "path": path, "value": true}],
	}
}

violations contains v if {
	lib.is_psp
	value := object.get(lib.obj(input.spec), "readOnlyRootFilesystem", null)
	value != true
	path := ["spec", "readOnlyRootFilesystem"]
	v := {
		"path": path,
		"message": sprintf("PodSecurityPolicy allows a writable root file system (spec.readOnlyRootFilesystem %s)", [psp_state(value)]),
		"fix": [{"op": "set", "path": path, "value": true}],
	}
}

problem(null) := "does not set securityContext.readOnlyRootFilesystem: true"

problem(x) := sprintf("sets securityContext.readOnlyRootFilesystem: %s", [json.marshal(x)]) if x != null

psp_state(null) := "unset"

psp_state(x) := sprintf(": %s", [json.marshal(x)]) if x != null
