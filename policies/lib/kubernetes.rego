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

# raw_config is data.kubepolicy.config when it is an object, else {}. The helpers below read it with
# their own defaults instead of reading config: the object.union that builds config costs more per
# evaluated object than finding the object's pods and containers.
raw_config := data.kubepolicy.config if is_object(data.kubepolicy.config)

else := {}

profiles := {"default", "recommended", "all", "pss-baseline", "pss-restricted"}

# profile is the configured profile; anything but a known profile name means "default".
profile := p if {
	p := raw_config.profile
	p in profiles
} else := "default"

# strict: the stricter parameters of default, recommended and all (seccomp and AppArmor must be set,
# only NET_BIND_SERVICE may be added), as opposed to exactly the Pod Security Standards.
strict if not profile in {"pss-baseline", "pss-restricted"}

# k8s_minor is the configured Kubernetes minor version: kubernetesMinor (a number), else the minor of
# kubernetesVersion ("1.37", "v1.37" or "1.37.2"), else the newest supported version.
k8s_minor := m if {
	m := data.kubepolicy.config.kubernetesMinor
	is_number(m)
} else := m if {
	v := data.kubepolicy.config.kubernetesVersion
	is_string(v)
	regex.match(`^v?1\.[0-9]+(\.[0-9]+)?$`, v)
	m := to_number(split(trim_prefix(v, "v"), ".")[1])
} else := default_config.kubernetesMinor

# param returns rules.<rule>.params.<name> from the configuration (the .kube-policy.yaml shape),
# else params.<rule>.<name>, else def.
param(rule, name, def) := v if {
	v := object.get(obj(raw_config.rules), [rule, "params", name], null)
	v != null
} else := v if {
	v := object.get(obj(raw_config.params), [rule, name], null)
	v != null
} else := def

resource_defaults := object.union(resource_defaults_builtin, obj(object.get(raw_config, ["defaults", "resources"], {})))

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

# Configured custom kinds: path is a list of keys or a dotted string ("spec.template.spec").
pod_spec_paths contains path if {
	some p in arr(raw_config.podSpecPaths)
	p.kind == input.kind
	p.apiVersion == input.apiVersion
	path := spec_path(p.path)
	count(path) > 0
}

spec_path(p) := p if is_array(p)

spec_path(p) := split(p, ".") if {
	is_string(p)
	p != ""
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

# containers: every container of every pod with its path, name, list and security context, and
# whether its pod runs on Windows (is_windows, computed once here: rules test it for every
# container, and a function call per container costs more than the rest of most rules).
containers contains c if {
	some pod in pods
	windows := object.get(pod.spec, ["os", "name"], null) == "windows"
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
		"windows": windows,
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

# clean_path is a hostPath path in canonical form, as path.Clean does it: repeated "/" collapsed,
# "." segments dropped, ".." resolved against the segment before it (and dropped at the root, where
# "/.." is "/"), no trailing "/", "/" for the root. Exact for any number of segments: segment m
# survives when the reflected depth never falls back below its own level later on (O(n²) in the
# number of segments, which is tiny for a path). A relative path stays relative (its leading ".."
# are dropped too; hostPath paths are absolute anyway). Undefined for a non-string.
clean_path(p) := out if {
	is_string(p)
	segs := [s | some s in split(p, "/"); not s in {"", "."}]
	n := count(segs)

	# d[k]: depth after k steps (+1 per name, -1 per ".."); e[k]: the same walk clamped at the root,
	# e[k] = d[k] - min(d[0..k]).
	steps := [path_step(s) | some s in segs]
	d := [x | some k in numbers.range(0, n); x := sum(array.slice(steps, 0, k))]
	e := [x | some k in numbers.range(0, n); x := d[k] - min(array.slice(d, 0, k + 1))]
	kept := [s |
		some m, s in segs
		s != ".."
		every j in numbers.range(m + 1, n) {
			e[j] >= e[m + 1]
		}
	]
	out := path_join(startswith(p, "/"), kept)
}

path_step("..") := -1

path_step(s) := 1 if s != ".."

path_join(true, segs) := concat("", ["/", concat("/", segs)])

path_join(false, segs) := concat("/", segs)

# workload_kinds: every kind that pod_spec_paths finds a pod spec in, the configured podSpecPaths
# kinds included. A rule's METADATA says `kinds: [workloads]` for these; the engine evaluates an
# object only when an enabled rule declares its kind.
workload_kinds := ({"Pod", "PodTemplate", "CronJob", "Rollout"} | template_kinds) | {p.kind |
	some p in arr(raw_config.podSpecPaths)
}
