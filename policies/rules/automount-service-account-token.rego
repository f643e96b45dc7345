# METADATA
# title: Pods should decide whether they mount a service account token
# description: >-
#   Unless told otherwise, Kubernetes mounts the pod's service account token into every container
#   at /var/run/secrets/kubernetes.io/serviceaccount. Most applications never call the API, yet
#   the token lets anyone who gains code execution in the pod act as that service account: read
#   what its bindings allow, and probe the API server for more. Setting
#   automountServiceAccountToken on the pod spec records the decision where it survives changes to
#   the ServiceAccount: false for pods that do not need the API, true for those that do. Only an
#   absent (or null) field is reported. A ServiceAccount with automountServiceAccountToken false in
#   another document is not seen, since a rule reads one object. Where default-service-account
#   reports a pod that runs as the default service account, this rule stays silent on it.
# custom:
#   id: automount-service-account-token
#   severity: low
#   profiles: [all]
#   pss: []
#   terrascan: [AC_K8S_0045]
#   fixable: true
#   kinds: [workloads]
#   reads: ["**.automountServiceAccountToken", "**.serviceAccountName", "**.serviceAccount"]
#   fixPreferred: false
#   passes: The pod spec sets automountServiceAccountToken, to false or (for pods that call the API) to true.
#   fix: >-
#     Sets automountServiceAccountToken to false on the pod spec (not preferred: an application that
#     calls the API loses its token).
package kubepolicy.rules.automount_service_account_token

import data.kubepolicy.lib

violations contains v if {
	some pod in lib.pods
	object.get(pod.spec, "automountServiceAccountToken", null) == null
	v := {
		"path": pod.path,
		"message": sprintf(
			"pod mounts the token of service account %q without saying so (automountServiceAccountToken not set); set it to false, or to true if the pod calls the API",
			[lib.service_account(pod)],
		),
		"fix": [{"op": "set", "path": array.concat(pod.path, ["automountServiceAccountToken"]), "value": false}],
	}
}
