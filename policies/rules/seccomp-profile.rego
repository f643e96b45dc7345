# METADATA
# title: Containers must run with a seccomp profile
# description: >-
#   Seccomp filters the system calls a container may make. Without it every process in the
#   container can reach the whole kernel syscall surface, including rarely used and historically
#   exploitable calls (unshare, keyctl, bpf, userfaultfd, ptrace, perf_event_open) that several
#   container escapes and privilege escalations depended on. Kubernetes does not apply the
#   runtime's default filter unless asked: a pod with no seccompProfile runs Unconfined on most
#   clusters. The baseline Pod Security Standard forbids an explicit Unconfined profile; the
#   restricted standard and the default profile also require RuntimeDefault or Localhost to be set,
#   at pod level or on every container. The legacy seccomp.security.alpha.kubernetes.io
#   annotations count as settings under the default, recommended and all profiles; under
#   pss-baseline and pss-restricted they count only for Kubernetes before 1.19, as in Pod Security
#   Admission, which reads the fields alone from 1.19 on. Windows pods are skipped: seccomp is
#   Linux-only.
# custom:
#   id: seccomp-profile
#   severity: medium
#   profiles: [default, pss-baseline, pss-restricted]
#   pss: [seccompProfile_baseline, seccompProfile_restricted]
#   terrascan: [AC_K8S_0080]
#   fixable: true
#   kinds: [workloads]
#   reads: ["**.containers.*.name", "**.initContainers.*.name", "**.ephemeralContainers.*.name", "**.securityContext", "**.os.name", "**.metadata.annotations"]
#   passes: >-
#     No pod or container selects an Unconfined seccomp profile; under the default and restricted
#     profiles, securityContext.seccompProfile.type is RuntimeDefault or Localhost at pod level or
#     on every container.
#   fix: >-
#     Sets an Unconfined profile to RuntimeDefault (runtime/default for a legacy annotation), and
#     adds pod-level securityContext.seccompProfile.type: RuntimeDefault when a container has none.
package kubepolicy.rules.seccomp_profile

import data.kubepolicy.lib

pod_annotation := "seccomp.security.alpha.kubernetes.io/pod"

container_annotation_prefix := "container.seccomp.security.alpha.kubernetes.io/"

allowed := {"RuntimeDefault", "Localhost"}

# A forbidden profile set at pod level (field, else the legacy pod annotation).
violations contains v if {
	some pod in lib.pods
	pod_source(pod) != "none"
	not lib.is_windows(pod)
	s := pod_setting(pod)
	forbidden(s.value)
	v := {
		"path": s.path,
		"message": sprintf("%s %s%s", [s.pod_subject, s.what, reason]),
		"fix": [{"op": "set", "path": s.path, "value": s.fix}],
	}
}

# A forbidden profile set on a container (field, else its legacy annotation).
violations contains v if {
	some c in lib.containers
	container_source(c) != "none"
	not lib.is_windows(c.pod)
	s := container_setting(c)
	forbidden(s.value)
	v := {
		"path": s.path,
		"message": sprintf("container %q %s%s", [c.name, s.what, reason]),
		"fix": [{"op": "set", "path": s.path, "value": s.fix}],
	}
}

# Default and restricted: no pod-level profile and some container without its own. One per pod.
violations contains v if {
	strict
	some pod in lib.pods
	pod_source(pod) == "none"
	not lib.is_windows(pod)
	unset := {c.name |
		some c in lib.containers
		c.pod.path == pod.path
		container_source(c) == "none"
	}
	count(unset) > 0
	path := array.concat(pod.path, ["securityContext", "seccompProfile", "type"])
	v := {
		"path": path,
		"message": sprintf(
			"no seccomp profile is set for %s (securityContext.seccompProfile.type at pod level or on the container)%s",
			[describe(unset), ignored_annotations_note(pod)],
		),
		"fix": [{"op": "set", "path": path, "value": "RuntimeDefault"}],
	}
}

strict if lib.profile != "pss-baseline"

# The legacy annotations count under default, recommended and all (lib.strict); under the pss-*
# profiles only before Kubernetes 1.19, as Pod Security Admission reads them (its 1.19 checks read
# the fields alone). kubernetesVersion is 1.19 or later in a valid configuration, so from the CLI
# and the editor the pss-* profiles never read them.
legacy_annotations if lib.strict

legacy_annotations if lib.k8s_minor < 19

# A hint for a pod whose legacy annotations are not read.
ignored_annotations_note(pod) := "; Pod Security Admission does not read the legacy seccomp.security.alpha.kubernetes.io annotations from Kubernetes 1.19 on" if {
	not legacy_annotations
	some key in object.keys(annotations(pod))
	legacy_key(key)
} else := ""

legacy_key(key) if key == pod_annotation

legacy_key(key) if startswith(key, container_annotation_prefix)

reason := "; only RuntimeDefault or Localhost are allowed" if strict

else := ", which disables syscall filtering"

# Baseline forbids Unconfined only; default and restricted allow only RuntimeDefault and Localhost.
forbidden(value) if value == "Unconfined"

forbidden(value) if {
	strict
	not value in allowed
}

annotations(pod) := lib.obj(object.get(pod.metadata, "annotations", {}))

# source tells where a pod's (a container's) profile is set: "field", "annotation" or "none". It is
# cheap and always defined, so OPA caches it for the next rule body; the settings below, which
# format messages, are only built for a profile that is set.
pod_source(pod) := "field" if {
	pod.spec.securityContext.seccompProfile.type != null
} else := "annotation" if {
	legacy_annotations
	value := pod.metadata.annotations[pod_annotation]
	value != ""
	value != null
} else := "none"

container_source(c) := "field" if {
	c.security_context.seccompProfile.type != null
} else := "annotation" if {
	legacy_annotations
	annotations := c.pod.metadata.annotations
	value := annotations[concat("", [container_annotation_prefix, c.name])]
	value != ""
	value != null
} else := "none"

# A setting is {value (normalised type), path, what, pod_subject, fix}; undefined when nothing is set.
pod_setting(pod) := field_setting(
	array.concat(pod.path, ["securityContext", "seccompProfile", "type"]),
	lib.pod_security_context(pod),
) if {
	object.get(lib.pod_security_context(pod), ["seccompProfile", "type"], null) != null
} else := annotation_setting(pod, pod_annotation) if {
	annotation_set(pod, pod_annotation)
}

container_setting(c) := field_setting(
	array.concat(c.path, ["securityContext", "seccompProfile", "type"]),
	c.security_context,
) if {
	object.get(c.security_context, ["seccompProfile", "type"], null) != null
} else := annotation_setting(c.pod, concat("", [container_annotation_prefix, c.name])) if {
	annotation_set(c.pod, concat("", [container_annotation_prefix, c.name]))
}

field_setting(path, sc) := {
	"value": t,
	"path": path,
	"what": sprintf("sets securityContext.seccompProfile.type %s", [show(t)]),
	"pod_subject": "pod spec",
	"fix": "RuntimeDefault",
} if {
	t := sc.seccompProfile.type
}

annotation_setting(pod, key) := {
	"value": normalise(raw),
	"path": array.concat(pod.metadata_path, ["annotations", key]),
	"what": sprintf("has the legacy annotation %s: %s", [key, show(raw)]),
	"pod_subject": "pod",
	"fix": "runtime/default",
} if {
	raw := annotations(pod)[key]
}

annotation_set(pod, key) if {
	value := object.get(annotations(pod), key, "")
	value != ""
	value != null
}

normalise(x) := "RuntimeDefault" if x in {"runtime/default", "docker/default"}

else := "Unconfined" if x == "unconfined"

else := "Localhost" if {
	is_string(x)
	startswith(x, "localhost/")
}

else := x

show(x) := sprintf("%q", [x]) if is_string(x)

else := sprintf("%v", [x])

describe(names) := sprintf("container %s", [quoted(names)]) if count(names) == 1

describe(names) := sprintf("containers %s", [quoted(names)]) if count(names) > 1

quoted(names) := concat(", ", [sprintf("%q", [n]) | some n in sort(names)])
