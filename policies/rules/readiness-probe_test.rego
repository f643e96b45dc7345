package kubepolicy.rules.readiness_probe_test

import data.kubepolicy.rules.readiness_probe as rule

probe := {"httpGet": {"path": "/healthz", "port": 8080}}

probed := {"name": "ok", "image": "app:1", "readinessProbe": probe}

bare := {"name": "web", "image": "app:1", "livenessProbe": probe}

workload(api, kind, spec) := {"apiVersion": api, "kind": kind, "metadata": {"name": "w"}, "spec": {"template": {"spec": spec}}}

pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec}

paths(obj) := {v.path | some v in rule.violations with input as obj}

test_deployment_without_probe_fails if {
	rule.violations == {{
		"path": ["spec", "template", "spec", "containers", 1],
		"message": "container \"web\" has no readinessProbe",
		"fix": [],
	}} with input as workload("apps/v1", "Deployment", {"containers": [probed, bare]})
}

test_probe_passes if {
	count(rule.violations) == 0 with input as workload("apps/v1", "Deployment", {"containers": [probed]})
	count(rule.violations) == 0 with input as workload("apps/v1", "DaemonSet", {"containers": [object.union(probed, {"readinessProbe": {"exec": {"command": ["true"]}}})]})
}

test_not_an_object_fails if {
	count(paths(workload("apps/v1", "StatefulSet", {"containers": [object.union(probed, {"readinessProbe": null})]}))) == 1
	count(paths(workload("apps/v1", "StatefulSet", {"containers": [object.union(probed, {"readinessProbe": "yes"})]}))) == 1
}

test_long_running_kinds_fail if {
	every kind in ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"] {
		paths(workload("apps/v1", kind, {"containers": [bare]})) == {["spec", "template", "spec", "containers", 0]}
	}
	paths(workload("v1", "ReplicationController", {"containers": [bare]})) == {["spec", "template", "spec", "containers", 0]}
	paths(workload("apps.openshift.io/v1", "DeploymentConfig", {"containers": [bare]})) == {["spec", "template", "spec", "containers", 0]}
	paths(workload("argoproj.io/v1alpha1", "Rollout", {"containers": [bare]})) == {["spec", "template", "spec", "containers", 0]}
}

test_pods_that_restart_always_fail if {
	paths(pod({"containers": [bare]})) == {["spec", "containers", 0]}
	paths(pod({"restartPolicy": "Always", "containers": [bare]})) == {["spec", "containers", 0]}
	paths({"apiVersion": "v1", "kind": "PodTemplate", "metadata": {"name": "t"}, "template": {"spec": {"containers": [bare]}}}) == {["template", "spec", "containers", 0]}
}

# Probes are never demanded of batch workloads (polaris#209, kube-score#108, terrascan#767).
test_cronjob_without_probes_passes if {
	count(rule.violations) == 0 with input as {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"}, "spec": {"jobTemplate": {"spec": {"template": {"spec": {"restartPolicy": "OnFailure", "containers": [bare]}}}}}}
}

test_job_and_batch_pods_pass if {
	count(rule.violations) == 0 with input as workload("batch/v1", "Job", {"restartPolicy": "Never", "containers": [bare]})
	count(rule.violations) == 0 with input as pod({"restartPolicy": "Never", "containers": [bare]})
	count(rule.violations) == 0 with input as pod({"restartPolicy": "OnFailure", "containers": [bare]})
}

# Init containers (native sidecars with restartPolicy Always included) and ephemeral containers
# are not checked.
test_init_and_ephemeral_containers_not_checked if {
	count(rule.violations) == 0 with input as pod({
		"containers": [probed],
		"initContainers": [{"name": "init", "image": "busybox:1"}, {"name": "sidecar", "image": "proxy:1", "restartPolicy": "Always"}],
		"ephemeralContainers": [{"name": "debug", "image": "busybox:1"}],
	})
}

test_custom_kinds_not_checked if {
	obj := workload("example.com/v1", "Worker", {"containers": [bare]})
	cfg := {"podSpecPaths": [{"apiVersion": "example.com/v1", "kind": "Worker", "path": "spec.template.spec"}]}
	count(rule.violations) == 0 with input as obj with data.kubepolicy.config as cfg
}

# The kinds parameter adds kinds (meant for podSpecPaths kinds; a Job here, which the engine
# always finds a pod spec in).
test_kinds_param_adds_kinds if {
	obj := workload("batch/v1", "Job", {"containers": [bare]})
	cfg := {"rules": {"readiness-probe": {"params": {"kinds": ["Job", 3]}}}}
	paths(obj) == {["spec", "template", "spec", "containers", 0]} with data.kubepolicy.config as cfg
	count(paths(obj)) == 0
}
