# METADATA
# title: Containers must run with an AppArmor profile
# description: >-
#   AppArmor is the mandatory access control layer that stops a compromised container process from
#   doing what its file permissions alone would allow: writing to /proc and /sys, mounting
#   filesystems, loading kernel modules, or reaching host paths through a weakened mount. The
#   container runtime's default profile (runtime/default) blocks these with no cost to ordinary
#   applications, but a pod or container marked Unconfined runs without it, which turns many
#   container-escape techniques back on. The Pod Security Standards forbid overriding the default
#   with anything but RuntimeDefault or a Localhost profile (securityContext.appArmorProfile since
#   Kubernetes 1.30, or the container.apparmor.security.beta.kubernetes.io/<container> annotation
#   before). The default profile also requires the profile to be set explicitly, so the protection
#   does not depend on node defaults, and a PodSecurityPolicy to default to runtime/default.
# custom:
#   id: apparmor-profile
#   severity: medium
#   profiles: [default, pss-baseline, pss-restricted]
#   pss: [appArmorProfile]
#   terrascan: [AC_K8S_0073]
#   fixable: true
#   kinds: [workloads, PodSecurityPolicy]
#   reads: ["**.containers.*.name", "**.initContainers.*.name", "**.ephemeralContainers.*.name", "**.securityContext", "**.os.name", "**.metadata.annotations"]
#   passes: >-
#     No pod, container or annotation selects an AppArmor profile other than RuntimeDefault /
#     runtime/default or Localhost / localhost/<name>; under the default profile every container
#     also has one set (pod-level securityContext.appArmorProfile.type: RuntimeDefault is enough).
#   fix: >-
#     Sets an unconfined profile to RuntimeDefault (runtime/default for an annotation); under the
#     default profile adds pod-level securityContext.appArmorProfile.type: RuntimeDefault (the
#     per-container annotation before Kubernetes 1.30).
package kubepolicy.rules.apparmor_profile

import data.kubepolicy.lib

annotation_prefix := "container.apparmor.security.beta.kubernetes.io/"

psp_default_annotation := "apparmor.security.beta.kubernetes.io/defaultProfileName"

allowed_types := {"RuntimeDefault", "Localhost"}

# A forbidden appArmorProfile.type at pod level.
violations contains v if {
	some pod in lib.pods
	profile_type := pod.spec.securityContext.appArmorProfile.type
	forbidden_type(profile_type)
	path := array.concat(pod.path, ["securityContext", "appArmorProfile", "type"])
	v := {
		"path": path,
		"message": sprintf(
			"pod spec sets securityContext.appArmorProfile.type %s; only RuntimeDefault or Localhost are allowed",
			[show(profile_type)],
		),
		"fix": [{"op": "set", "path": path, "value": "RuntimeDefault"}],
	}
}

# A forbidden appArmorProfile.type on a container.
violations contains v if {
	some c in lib.containers
	profile_type := c.security_context.appArmorProfile.type
	forbidden_type(profile_type)
	path := array.concat(c.path, ["securityContext", "appArmorProfile", "type"])
	v := {
		"path": path,
		"message": sprintf(
			"container %q sets securityContext.appArmorProfile.type %s; only RuntimeDefault or Localhost are allowed",
			[c.name, show(profile_type)],
		),
		"fix": [{"op": "set", "path": path, "value": "RuntimeDefault"}],
	}
}

# A forbidden legacy annotation (any container name, as Pod Security Admission checks every one).
violations contains v if {
	some pod in lib.pods
	annotations := pod.metadata.annotations
	is_object(annotations)
	some key, value in annotations
	is_string(key)
	startswith(key, annotation_prefix)
	not allowed_annotation(value)
	path := array.concat(pod.metadata_path, ["annotations", key])
	v := {
		"path": path,
		"message": sprintf(
			"container %q has AppArmor annotation %s: %s; only runtime/default or localhost/<profile> are allowed",
			[substring(key, count(annotation_prefix), -1), key, show(value)],
		),
		"fix": [{"op": "set", "path": path, "value": "runtime/default"}],
	}
}

# Default, recommended and all: every container must have a profile set. One finding per pod. Windows pods
# are skipped: AppArmor does not exist there and the API rejects the field on them.
violations contains v if {
	lib.strict
	some pod in lib.pods
	object.get(pod.spec, ["securityContext", "appArmorProfile", "type"], null) == null
	not lib.is_windows(pod)
	unset := {c.name |
		some c in lib.containers
		c.pod.path == pod.path
		not has_profile(c)
	}
	count(unset) > 0
	path := array.concat(pod.path, ["securityContext", "appArmorProfile", "type"])
	v := {
		"path": path,
		"message": sprintf(
			"no AppArmor profile is set for %s (securityContext.appArmorProfile.type at pod level or on the container)",
			[describe(unset)],
		),
		"fix": unset_fix(pod, path, unset),
	}
}

# Default, recommended and all: a PodSecurityPolicy must default to runtime/default.
violations contains v if {
	lib.is_psp
	lib.strict
	value := object.get(lib.obj(object.get(input, ["metadata", "annotations"], {})), psp_default_annotation, null)
	value != "runtime/default"
	path := ["metadata", "annotations", psp_default_annotation]
	v := {
		"path": path,
		"message": sprintf(
			"PodSecurityPolicy annotation %s is %s, not runtime/default",
			[psp_default_annotation, show_or_unset(value)],
		),
		"fix": [{"op": "set", "path": path, "value": "runtime/default"}],
	}
}

forbidden_type(t) if {
	t != null
	not t in allowed_types
}

allowed_annotation("")

allowed_annotation("runtime/default")

allowed_annotation(value) if {
	is_string(value)
	startswith(value, "localhost/")
}

# has_profile: the container sets a profile type, or has the legacy annotation. (A profile set at pod
# level is checked once per pod, before this.)
has_profile(c) if c.security_context.appArmorProfile.type != null

has_profile(c) if {
	value := c.pod.metadata.annotations[concat("", [annotation_prefix, c.name])]
	value != ""
	value != null
}

# Since 1.30 the field is the way to set it; before, only the per-container annotation works.
unset_fix(_, path, _) := [{"op": "set", "path": path, "value": "RuntimeDefault"}] if lib.k8s_minor >= 30

unset_fix(pod, _, names) := [op |
	some name in sort(names)
	op := {
		"op": "set",
		"path": array.concat(pod.metadata_path, ["annotations", concat("", [annotation_prefix, name])]),
		"value": "runtime/default",
	}
] if lib.k8s_minor < 30

show(x) := sprintf("%q", [x]) if is_string(x)

else := sprintf("%v", [x])

show_or_unset(null) := "not set"

show_or_unset(x) := show(x) if x != null

describe(names) := sprintf("container %s", [quoted(names)]) if count(names) == 1

describe(names) := sprintf("containers %s", [quoted(names)]) if count(names) > 1

quoted(names) := concat(", ", [sprintf("%q", [n]) | some n in sort(names)])
