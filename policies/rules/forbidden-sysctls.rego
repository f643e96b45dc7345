# METADATA
# title: Pods must only set safe sysctls
# description: >-
#   Most kernel parameters are not namespaced: a sysctl set from a pod changes it for the whole
#   node and every other pod on it. An unsafe sysctl can disable protections (kernel.* memory and
#   IPC limits, net.* forwarding and routing), starve neighbours of shared kernel resources, or
#   destabilise the node; the kubelet rejects most of them unless explicitly allowed, which is
#   exactly the opening an attacker with pod-create rights wants. The Pod Security Standards
#   allow only the set the kubelet treats as safe (namespaced and isolated) for the configured
#   Kubernetes version. A PodSecurityPolicy must not allow unsafe sysctls at all.
# custom:
#   id: forbidden-sysctls
#   severity: high
#   profiles: [default, pss-baseline, pss-restricted]
#   pss: [sysctls]
#   terrascan: [AC_K8S_0074]
#   fixable: true
#   kinds: [workloads, PodSecurityPolicy]
#   reads: ["**.securityContext", "**.os.name", spec.allowedUnsafeSysctls]
#   passes: >-
#     securityContext.sysctls only names sysctls of the Pod Security Standards safe set for the
#     configured Kubernetes version; a PodSecurityPolicy has no allowedUnsafeSysctls.
#   fix: Removes the unsafe sysctl entry (or the PSP's allowedUnsafeSysctls entry).
package kubepolicy.rules.forbidden_sysctls

import data.kubepolicy.lib

# The safe set grows with the Kubernetes version (Pod Security Admission's sysctls check).
safe_sysctls contains name if some name in {
	"kernel.shm_rmid_forced",
	"net.ipv4.ip_local_port_range",
	"net.ipv4.tcp_syncookies",
	"net.ipv4.ping_group_range",
	"net.ipv4.ip_unprivileged_port_start",
}

safe_sysctls contains "net.ipv4.ip_local_reserved_ports" if lib.k8s_minor >= 27

safe_sysctls contains name if {
	lib.k8s_minor >= 29
	some name in {
		"net.ipv4.tcp_keepalive_time",
		"net.ipv4.tcp_fin_timeout",
		"net.ipv4.tcp_keepalive_intvl",
		"net.ipv4.tcp_keepalive_probes",
	}
}

safe_sysctls contains name if {
	lib.k8s_minor >= 32
	some name in {"net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"}
}

safe_sysctls contains name if {
	lib.k8s_minor >= 37
	some name in {"net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat"}
}

violations contains v if {
	some pod in lib.pods
	sysctls := pod.spec.securityContext.sysctls
	is_array(sysctls)
	some i, sysctl in sysctls
	is_object(sysctl)
	name := object.get(sysctl, "name", null)
	not name in safe_sysctls
	path := array.concat(pod.path, ["securityContext", "sysctls", i])
	v := {
		"path": path,
		"message": sprintf(
			"pod spec sets securityContext.sysctls %s, which is not in the safe set of Kubernetes 1.%v",
			[show(name), lib.k8s_minor],
		),
		"fix": [{"op": "remove", "path": path}],
	}
}

violations contains v if {
	lib.is_psp
	some j, name in lib.arr(object.get(input, ["spec", "allowedUnsafeSysctls"], []))
	path := ["spec", "allowedUnsafeSysctls", j]
	v := {
		"path": path,
		"message": sprintf("PodSecurityPolicy allows the unsafe sysctl %s (spec.allowedUnsafeSysctls)", [show(name)]),
		"fix": [{"op": "remove", "path": path}],
	}
}

show(x) := sprintf("%q", [x]) if is_string(x)

else := sprintf("%v", [x])
