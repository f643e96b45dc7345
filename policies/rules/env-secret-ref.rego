# METADATA
# title: Secrets should be mounted as files, not passed as environment variables
# description: >-
#   A Secret exposed through env[].valueFrom.secretKeyRef or envFrom[].secretRef lands in the
#   process environment: every child process inherits it, crash reporters and debug endpoints dump
#   it, and it cannot be rotated without restarting the container. A secret volume keeps the value
#   in a file that only the processes which open it read, and the kubelet updates it in place
#   (CIS Kubernetes Benchmark 5.4.1). References to ConfigMaps and the downward API (configMapKeyRef,
#   fieldRef, resourceFieldRef) are not secrets and are not reported.
# custom:
#   id: env-secret-ref
#   severity: low
#   profiles: [all]
#   pss: []
#   terrascan: [AC_K8S_0051]
#   fixable: false
#   kinds: [workloads]
#   reads: ["**.containers.*.name", "**.initContainers.*.name", "**.ephemeralContainers.*.name", "**.env", "**.envFrom"]
#   passes: >-
#     No container (init and ephemeral included) has an env entry with valueFrom.secretKeyRef or an
#     envFrom entry with secretRef.
#   fix: None; moving the Secret to a volume mount changes how the application reads it.
package kubepolicy.rules.env_secret_ref

import data.kubepolicy.lib

violations contains v if {
	some c in lib.containers
	some j, e in lib.arr(c.container.env)
	ref := e.valueFrom.secretKeyRef
	is_object(ref)
	v := {
		"path": array.concat(c.path, ["env", j, "valueFrom", "secretKeyRef"]),
		"message": sprintf("container %q reads key %s of Secret %s into env var %s (env[%d].valueFrom.secretKeyRef): mount the Secret as a file instead", [c.name, quoted(object.get(ref, "key", null)), quoted(object.get(ref, "name", null)), quoted(object.get(e, "name", null)), j]),
		"fix": [],
	}
}

violations contains v if {
	some c in lib.containers
	some j, e in lib.arr(c.container.envFrom)
	ref := e.secretRef
	is_object(ref)
	v := {
		"path": array.concat(c.path, ["envFrom", j, "secretRef"]),
		"message": sprintf("container %q imports every key of Secret %s as env vars (envFrom[%d].secretRef): mount the Secret as a file instead", [c.name, quoted(object.get(ref, "name", null)), j]),
		"fix": [],
	}
}

# quoted is a string field in quotes for a message, "?" when absent or not a string.
quoted(s) := sprintf("%q", [s]) if is_string(s)

else := "?"
