# METADATA
# title: Pods must not mount the token of the default service account
# description: >-
#   Every namespace has a ServiceAccount named default, and a pod that names no service account
#   runs as it, with its API token mounted at /var/run/secrets/kubernetes.io/serviceaccount.
#   Whatever a RoleBinding grants to that account (often added for one application and then
#   inherited by every other pod of the namespace) is then available to any process that is
#   compromised in any of those pods. Give each workload that calls the API its own
#   ServiceAccount, and set automountServiceAccountToken to false on pods that do not. Three
#   things are reported: a pod spec that runs as default with the token mounted, the default
#   ServiceAccount itself when it does not disable the mount, and a RoleBinding or
#   ClusterRoleBinding that grants a role to a ServiceAccount named default.
# custom:
#   id: default-service-account
#   severity: low
#   profiles: [recommended]
#   pss: []
#   terrascan: [AC_K8S_0113]
#   fixable: true
#   kinds: [workloads, ServiceAccount, RoleBinding, ClusterRoleBinding]
#   reads: [metadata.name, metadata.namespace, "**.serviceAccount", "**.serviceAccountName", "**.automountServiceAccountToken", roleRef, subjects]
#   supersedes: [automount-service-account-token]
#   fixPreferred: false
#   passes: >-
#     A pod spec names its own service account in serviceAccountName, or sets
#     automountServiceAccountToken to false; a ServiceAccount named default sets
#     automountServiceAccountToken to false; no binding has a subject {kind: ServiceAccount,
#     name: default}.
#   fix: >-
#     Sets automountServiceAccountToken to false on the pod spec (an application that calls the API
#     with the default service account loses its token, so the fix is not preferred) or on the
#     default ServiceAccount. A binding is not fixed.
package kubepolicy.rules.default_service_account

import data.kubepolicy.lib

# (a) A pod spec that runs as default with the token mounted (the field absent, null or true).
violations contains v if {
	some pod in lib.pods
	lib.service_account(pod) == "default"
	automount := object.get(pod.spec, "automountServiceAccountToken", null)
	automount in {null, true}
	v := {
		"path": pod_path(pod, automount),
		"message": pod_message(pod, automount),
		"fix": [{"op": "set", "path": array.concat(pod.path, ["automountServiceAccountToken"]), "value": false}],
	}
}

# The range: the explicit true, else serviceAccountName when it says default, else the pod spec key.
pod_path(pod, true) := array.concat(pod.path, ["automountServiceAccountToken"])

pod_path(pod, null) := array.concat(pod.path, ["serviceAccountName"]) if {
	pod.spec.serviceAccountName == "default"
} else := pod.path

pod_message(_, true) := "pod runs as the default service account with its API token mounted (automountServiceAccountToken: true); use a dedicated service account"

pod_message(pod, null) := sprintf(
	"pod runs as the default service account with its API token mounted (%s, automountServiceAccountToken not set); use a dedicated service account or set automountServiceAccountToken: false",
	[named_how(pod)],
)

named_how(pod) := "serviceAccountName: default" if {
	pod.spec.serviceAccountName == "default"
} else := "serviceAccount: default" if {
	pod.spec.serviceAccount == "default"
} else := "no serviceAccountName"

# (b) The default ServiceAccount without automountServiceAccountToken: false.
violations contains v if {
	input.kind == "ServiceAccount"
	input.apiVersion == "v1"
	input.metadata.name == "default"
	automount := object.get(input, "automountServiceAccountToken", null)
	automount != false
	v := {
		"path": sa_path,
		"message": sprintf(
			"the default ServiceAccount%s lets every pod that names no service account mount its token (automountServiceAccountToken: %v)",
			[namespace_text, automount_text(automount)],
		),
		"fix": [{"op": "set", "path": ["automountServiceAccountToken"], "value": false}],
	}
}

sa_path := ["automountServiceAccountToken"] if {
	"automountServiceAccountToken" in object.keys(input)
} else := ["metadata", "name"]

namespace_text := sprintf(" of namespace %q", [input.metadata.namespace]) if {
	is_string(input.metadata.namespace)
} else := ""

automount_text(null) := "not set"

automount_text(x) := sprintf("%v", [x]) if x != null

# (c) A binding whose subject is a ServiceAccount named default, in any namespace.
violations contains v if {
	input.kind in {"RoleBinding", "ClusterRoleBinding"}
	startswith(input.apiVersion, "rbac.authorization.k8s.io/")
	some k, subject in lib.arr(input.subjects)
	subject.kind == "ServiceAccount"
	subject.name == "default"
	v := {
		"path": ["subjects", k, "name"],
		"message": sprintf(
			"%s grants %s to the default service account%s (subjects[%d]), and so to every pod of that namespace that names no service account",
			[input.kind, role_text, subject_namespace(subject), k],
		),
		"fix": [],
	}
}

role_text := sprintf("%s %q", [input.roleRef.kind, input.roleRef.name]) if {
	is_string(input.roleRef.kind)
	is_string(input.roleRef.name)
} else := "its role"

subject_namespace(subject) := sprintf(" of namespace %q", [subject.namespace]) if {
	is_string(subject.namespace)
	subject.namespace != ""
} else := ""
