# METADATA
# title: Shared helpers for the kube-policy-ls rules
# description: >-
#   Finds every pod spec and container of a Kubernetes object with its JSON path, computes the
#   effective security context, and exposes the engine's configuration with defaults.
package kubepolicy.lib

# Configuration ------------------------------------------------------------

default_config := {
	"profile": "default",
	"kubernetesMinor": 37,
	"params": {},
	"defaults": {"resources": resource_defaults_builtin},
	"podSpecPaths": [],
}

resource_defaults_builtin := {
	"cpuRequest": "100m",
	"cpuLimit": "500m",
	"memoryRequest": "128Mi",
	"memoryLimit": "512Mi",
}

config := object.union(default_config, data.kubepolicy.config) if {
	is_object(data.kubepolicy.config)
} else := default_config

profile := config.profile

k8s_minor := config.kubernetesMinor

# param returns rules.<rule>.params.<name> from the configuration, or def.
param(rule, name, def) := object.get(config.params, [rule, name], def)

resource_defaults := object.union(resource_defaults_builtin, obj(object.get(config, ["defaults", "resources"], {})))

# Objects ------------------------------------------------------------------

# obj is x when it is an object and {} otherwise (absent, null or a wrong type).
obj(x) := x if is_object(x)

else := {}

# arr is x when it is an array and [] otherwise.
arr(x) := x if is_array(x)

else := []

# Kinds whose pod template lives at spec.template.spec, whatever their API group.
template_kinds := {
	"Deployment", "ReplicaSet", "ReplicationController", "StatefulSet", "DaemonSet", "Job",
	"DeploymentConfig",
}

pod_spec_paths contains ["spec"] if input.kind == "Pod"

pod_spec_paths contains ["template", "spec"] if input.kind == "PodTemplate"

pod_spec_paths contains ["spec", "template", "spec"] if input.kind in template_kinds

pod_spec_paths contains ["spec", "template", "spec"] if {
	input.kind == "Rollout"
	startswith(input.apiVersion, "argoproj.io/")
}

pod_spec_paths contains ["spec", "jobTemplate", "spec", "template", "spec"] if input.kind == "CronJob"

pod_spec_paths contains p.path if {
	some p in config.podSpecPaths
	p.kind == input.kind
	p.apiVersion == input.apiVersion
}

# pods: every pod spec of the object with the path of the spec and of its metadata.
pods contains pod if {
	some path in pod_spec_paths
	spec := object.get(input, path, null)
	is_object(spec)
	metadata_path := array.concat(array.slice(path, 0, count(path) - 1), ["metadata"])
	pod := {
		"path": path,
		"spec": spec,
		"metadata": obj(object.get(input, metadata_path, {})),
		"metadata_path": metadata_path,
	}
}

container_types := ["containers", "initContainers", "ephemeralContainers"]

# containers: every container of every pod with its path, name, list and security context.
containers contains c if {
	some pod in pods
	some type in container_types
	some i, container in arr(pod.spec[type])
	is_object(container)
	c := {
		"path": array.concat(pod.path, [type, i]),
		"index": i,
		"name": container_name(container, type, i),
		"type": type,
		"container": container,
		"pod": pod,
		"security_context": obj(object.get(container, "securityContext", {})),
	}
}

container_name(container, type, i) := name if {
	name := container.name
	is_string(name)
} else := sprintf("%s[%d]", [type, i])

pod_security_context(pod) := obj(object.get(pod.spec, "securityContext", {}))

# effective is the container's securityContext[field], else the pod's; undefined when neither is set
# (null counts as unset, as the API server defaults it away).
effective(c, field) := v if {
	v := c.security_context[field]
	v != null
} else := v if {
	v := pod_security_context(c.pod)[field]
	v != null
}

is_windows(pod) if pod.spec.os.name == "windows"

is_psp if input.kind == "PodSecurityPolicy"
