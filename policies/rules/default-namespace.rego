# METADATA
# title: Objects should not be placed in the default namespace
# description: >-
#   The default namespace is where everything lands that nobody placed: workloads there share
#   their service accounts, quotas, LimitRanges, NetworkPolicies and RBAC grants with every stray
#   object and every user who has access to default, and the namespace cannot be deleted to
#   clean up. Writing namespace: default into a manifest makes that choice permanent and
#   overrides kubectl -n, Kustomize's namespace and Helm's --namespace. Only an explicit
#   namespace: default is reported: a manifest without a namespace gets one at deploy time.
#   The kubernetes Service, which the API server itself keeps in default, is exempt.
# custom:
#   id: default-namespace
#   severity: low
#   profiles: [all]
#   pss: []
#   terrascan: [AC_K8S_0086]
#   fixable: false
#   kinds: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, Service, ConfigMap, Secret, ServiceAccount, Role, RoleBinding, Ingress, NetworkPolicy, PodDisruptionBudget, HorizontalPodAutoscaler, PersistentVolumeClaim]
#   reads: [metadata.name, metadata.namespace]
#   passes: >-
#     metadata.namespace is absent (set at deploy time by kubectl -n, Kustomize or Helm) or names
#     a namespace other than default. Checked kinds: Pod, PodTemplate, Deployment, StatefulSet,
#     DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, Service, ConfigMap, Secret,
#     ServiceAccount, Role, RoleBinding, Ingress, NetworkPolicy, PodDisruptionBudget,
#     HorizontalPodAutoscaler and PersistentVolumeClaim.
#   fix: "None: name the application's namespace, or remove the key so that the namespace is chosen at deploy time; removing it changes where a plain kubectl apply goes."
package kubepolicy.rules.default_namespace

# Kinds matched on kind alone.
any_version := {
	"Pod", "PodTemplate", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet",
	"ReplicationController", "Job", "CronJob", "Secret", "NetworkPolicy", "PodDisruptionBudget",
	"HorizontalPodAutoscaler", "PersistentVolumeClaim",
}

checked if input.kind in any_version

checked if {
	input.kind in {"Service", "ConfigMap", "ServiceAccount"}
	input.apiVersion == "v1"
}

checked if {
	input.kind in {"Role", "RoleBinding"}
	startswith(input.apiVersion, "rbac.authorization.k8s.io/")
}

checked if {
	input.kind == "Ingress"
	input.apiVersion in {"networking.k8s.io/v1", "networking.k8s.io/v1beta1", "extensions/v1beta1"}
}

# The API server's own Service in default.
exempt if {
	input.kind == "Service"
	input.metadata.name == "kubernetes"
}

violations contains v if {
	input.metadata.namespace == "default"
	checked
	not exempt
	v := {
		"path": ["metadata", "namespace"],
		"message": sprintf("%s %q is placed in the default namespace (metadata.namespace: default)", [input.kind, name]),
		"fix": [],
	}
}

name := n if {
	n := input.metadata.name
	is_string(n)
} else := ""
