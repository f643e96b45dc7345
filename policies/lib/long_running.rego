# Long-running pods (RULES-NEXT.md D3), for the probe rules. Part of package kubepolicy.lib,
# described in kubernetes.rego.
package kubepolicy.lib

# long_running_kinds run their pods until told to stop: the controller restarts what exits.
long_running_kinds := {
	"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController",
	"DeploymentConfig",
}

# long_running(pod): the pod spec (an element of pods) belongs to a workload that keeps its pods
# running, so probes make sense for it: a Deployment, StatefulSet, DaemonSet, ReplicaSet,
# ReplicationController or DeploymentConfig; an Argo Rollout (argoproj.io); a Pod or PodTemplate
# whose restartPolicy is absent or Always. Jobs, CronJobs, batch Pods (restartPolicy Never or
# OnFailure) and configured podSpecPaths kinds are not long-running: they run to completion,
# and a probe demanded of them is noise (polaris#209, kube-score#108, terrascan#767).
long_running(_) if input.kind in long_running_kinds

long_running(_) if {
	input.kind == "Rollout"
	startswith(input.apiVersion, "argoproj.io/")
}

long_running(pod) if {
	input.kind in {"Pod", "PodTemplate"}
	object.get(pod.spec, "restartPolicy", null) in {null, "Always"}
}
