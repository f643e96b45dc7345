package kubepolicy.lib_long_running_test

import data.kubepolicy.lib

spec(extra) := object.union({"containers": [{"name": "app", "image": "app:1"}]}, extra)

template_obj(api, kind) := {"apiVersion": api, "kind": kind, "metadata": {"name": "w"}, "spec": {"template": {"spec": spec({})}}}

pod_obj(extra) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec(extra)}

long_running_pods(obj) := {pod.path | some pod in lib.pods with input as obj; lib.long_running(pod) with input as obj}

# [object, long-running]
cases := [
	[template_obj("apps/v1", "Deployment"), true],
	[template_obj("apps/v1", "StatefulSet"), true],
	[template_obj("apps/v1", "DaemonSet"), true],
	[template_obj("apps/v1", "ReplicaSet"), true],
	[template_obj("v1", "ReplicationController"), true],
	[template_obj("apps.openshift.io/v1", "DeploymentConfig"), true],
	[template_obj("argoproj.io/v1alpha1", "Rollout"), true],
	[pod_obj({}), true],
	[pod_obj({"restartPolicy": "Always"}), true],
	[pod_obj({"restartPolicy": null}), true],
	[{"apiVersion": "v1", "kind": "PodTemplate", "metadata": {"name": "t"}, "template": {"spec": spec({})}}, true],
	# Batch pods run to completion (polaris#209, kube-score#108, terrascan#767).
	[template_obj("batch/v1", "Job"), false],
	[{"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"}, "spec": {"jobTemplate": {"spec": {"template": {"spec": spec({})}}}}}, false],
	[pod_obj({"restartPolicy": "Never"}), false],
	[pod_obj({"restartPolicy": "OnFailure"}), false],
	[{"apiVersion": "v1", "kind": "PodTemplate", "metadata": {"name": "t"}, "template": {"spec": spec({"restartPolicy": "OnFailure"})}}, false],
]

test_long_running_table if {
	wrong := [i |
		some i, c in cases
		got := count(long_running_pods(c[0])) == 1
		got != c[1]
	]
	wrong == []
}

# A Rollout of another API group has no pod spec for lib.pods, and is not long-running either.
test_rollout_of_another_group_is_not_long_running if {
	not lib.long_running({"spec": spec({})}) with input as template_obj("example.com/v1", "Rollout")
}

# Configured custom kinds are not long-running: the probe rules' kinds parameter adds them.
test_configured_kind_is_not_long_running if {
	obj := template_obj("example.com/v1", "Worker")
	cfg := {"podSpecPaths": [{"apiVersion": "example.com/v1", "kind": "Worker", "path": "spec.template.spec"}]}
	count(lib.pods) == 1 with input as obj with data.kubepolicy.config as cfg
	count(long_running_pods(obj)) == 0 with data.kubepolicy.config as cfg
}
