# METADATA
# title: SELinux options must not be customised
# description: >-
#   On SELinux hosts the container runtime gives every container the confined container_t type
#   and a unique MCS level, which keeps it away from host files and from other containers even
#   after an escape from its namespaces. Setting a different SELinux type (spc_t, unconfined_t,
#   or any host type) or a custom user or role removes that confinement or impersonates a host
#   domain. The baseline Pod Security Standard only allows the container types (container_t,
#   container_init_t, container_kvm_t and, since Kubernetes 1.31, container_engine_t) and forbids
#   setting user or role; the MCS level may be set freely.
# custom:
#   id: selinux-options
#   severity: high
#   profiles: [default, pss-baseline, pss-restricted]
#   pss: [seLinuxOptions]
#   terrascan: []
#   fixable: true
#   kinds: [workloads]
#   reads: ["**.containers.*.name", "**.initContainers.*.name", "**.ephemeralContainers.*.name", "**.securityContext", "**.os.name", spec.seLinux]
#   passes: >-
#     seLinuxOptions (pod or container) has no type or one of container_t, container_init_t,
#     container_kvm_t, container_engine_t (1.31+), and sets no user or role.
#   fix: Sets a forbidden type to container_t and removes user and role.
package kubepolicy.rules.selinux_options

import data.kubepolicy.lib

allowed_types contains t if some t in {"container_t", "container_init_t", "container_kvm_t"}

allowed_types contains "container_engine_t" if lib.k8s_minor >= 31

# Every securityContext that has seLinuxOptions, the pod's and each container's, with them. (Only
# those: the subject and path are formatted for each one, which costs more than the check.)
contexts contains {"subject": "pod spec", "path": array.concat(pod.path, ["securityContext"]), "options": options} if {
	some pod in lib.pods
	options := pod.spec.securityContext.seLinuxOptions
}

contexts contains {"subject": sprintf("container %q", [c.name]), "path": array.concat(c.path, ["securityContext"]), "options": options} if {
	some c in lib.containers
	options := c.security_context.seLinuxOptions
}

violations contains v if {
	some ctx in contexts
	selinux_type := ctx.options.type
	given(selinux_type)
	not selinux_type in allowed_types
	path := array.concat(ctx.path, ["seLinuxOptions", "type"])
	v := {
		"path": path,
		"message": sprintf(
			"%s sets securityContext.seLinuxOptions.type %s, which is not a container type",
			[ctx.subject, show(selinux_type)],
		),
		"fix": [{"op": "set", "path": path, "value": "container_t"}],
	}
}

violations contains v if {
	some ctx in contexts
	some field in ["user", "role"]
	value := ctx.options[field]
	given(value)
	path := array.concat(ctx.path, ["seLinuxOptions", field])
	v := {
		"path": path,
		"message": sprintf("%s sets securityContext.seLinuxOptions.%s %s", [ctx.subject, field, show(value)]),
		"fix": [{"op": "remove", "path": path}],
	}
}

given(x) if {
	x != null
	x != ""
}

show(x) := sprintf("%q", [x]) if is_string(x)

else := sprintf("%v", [x])
