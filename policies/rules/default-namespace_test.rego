package kubepolicy.rules.default_namespace_test

import data.kubepolicy.rules.default_namespace as rule

obj(api, kind, ns) := {"apiVersion": api, "kind": kind, "metadata": {"name": "x", "namespace": ns}}

fails(o) if rule.violations == {{
	"path": ["metadata", "namespace"],
	"message": sprintf("%s \"x\" is placed in the default namespace (metadata.namespace: default)", [o.kind]),
	"fix": [],
}} with input as o

test_explicit_default_fails if {
	fails(obj("apps/v1", "Deployment", "default"))
}

test_other_namespace_passes if {
	count(rule.violations) == 0 with input as obj("apps/v1", "Deployment", "shop")
}

# An absent namespace is set at deploy time (checkov#3910, kics#4305): it passes.
test_absent_namespace_passes if {
	count(rule.violations) == 0 with input as {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"}}
	count(rule.violations) == 0 with input as {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x", "namespace": null}}
	count(rule.violations) == 0 with input as obj("v1", "ConfigMap", "")
}

test_exact_match_only if {
	count(rule.violations) == 0 with input as obj("apps/v1", "Deployment", "Default")
	count(rule.violations) == 0 with input as obj("apps/v1", "Deployment", "default-apps")
}

test_every_listed_kind_fails if {
	every o in [
		obj("v1", "Pod", "default"),
		obj("v1", "PodTemplate", "default"),
		obj("apps/v1", "StatefulSet", "default"),
		obj("apps/v1", "DaemonSet", "default"),
		obj("apps/v1", "ReplicaSet", "default"),
		obj("v1", "ReplicationController", "default"),
		obj("batch/v1", "Job", "default"),
		obj("batch/v1", "CronJob", "default"),
		obj("v1", "Service", "default"),
		obj("v1", "ConfigMap", "default"),
		obj("v1", "Secret", "default"),
		obj("v1", "ServiceAccount", "default"),
		obj("rbac.authorization.k8s.io/v1", "Role", "default"),
		obj("rbac.authorization.k8s.io/v1", "RoleBinding", "default"),
		obj("networking.k8s.io/v1", "Ingress", "default"),
		obj("extensions/v1beta1", "Ingress", "default"),
		obj("networking.k8s.io/v1", "NetworkPolicy", "default"),
		obj("policy/v1", "PodDisruptionBudget", "default"),
		obj("autoscaling/v2", "HorizontalPodAutoscaler", "default"),
		obj("v1", "PersistentVolumeClaim", "default"),
	] {
		fails(o)
	}
}

test_other_kinds_and_api_groups_pass if {
	every o in [
		obj("v1", "Namespace", "default"),
		obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", "default"),
		obj("example.com/v1", "Widget", "default"),
		obj("serving.knative.dev/v1", "Service", "default"),
		obj("authorization.openshift.io/v1", "Role", "default"),
		obj("traefik.io/v1alpha1", "Ingress", "default"),
		obj("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "default"),
	] {
		count(rule.violations) == 0 with input as o
	}
}

# The API server's own Service lives in default.
test_kubernetes_service_exempt if {
	svc := {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "kubernetes", "namespace": "default"}}
	count(rule.violations) == 0 with input as svc
	count(rule.violations) == 1 with input as object.union(svc, {"kind": "ConfigMap"})
	count(rule.violations) == 1 with input as object.union(svc, {"metadata": {"name": "web"}})
}
