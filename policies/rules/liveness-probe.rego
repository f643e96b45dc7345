# METADATA
# title: Long-running containers should have a liveness probe
# description: >-
#  Without a liveness probe the kubelet restarts a container only when its process exits. A
#   server that deadlocks, leaks into a hang or loses its backend for good keeps its pod Running
#   and Ready while it serves errors, until someone notices. A liveness probe lets the kubelet
#   restart it. Only long-running pods are checked: Deployments, StatefulSets, DaemonSets,
#   ReplicaSets, ReplicationControllers, DeploymentConfigs, Argo Rollouts, and Pods and
#   PodTemplates that restart Always; Jobs, CronJobs and batch Pods run to completion and need
#   none. Write a probe that tests the process's own health, not its dependencies: a probe that
#   fails when a database is down restarts every replica at once. There is no automatic fix: a
#   placeholder probe such as cat /tmp/healthy would keep restarting a container that never
#   creates the file.
# custom:
#   id: liveness-probe
#   severity: low
#   profiles: [all]
#   pss: []
#   terrascan: [AC_K8S_0070]
#   fixable: false
#   kinds: [workloads]
#   reads: ["**.containers.*.name", "**.initContainers.*.name", "**.ephemeralContainers.*.name", "**.livenessProbe", "**.restartPolicy"]
#   passes: >-
#     Every entry of containers in a long-running pod has a livenessProbe. Init containers (native
#     sidecars included) and ephemeral containers are not checked, nor are Jobs, CronJobs, Pods
#     with restartPolicy Never or OnFailure, and podSpecPaths kinds unless the kinds parameter
#     names them.
#   fix: "None: add a livenessProbe that fits the application (httpGet, tcpSocket, grpc or exec), or suppress the finding with a reason."
package kubepolicy.rules.liveness_probe

import data.kubepolicy.lib

# extra_kinds is the kinds parameter: more kinds whose pods are long-running (custom kinds of
# podSpecPaths), none by default.
extra_kinds := {k | some k in lib.arr(lib.param("liveness-probe", "kinds", [])); is_string(k)}

checked(pod) if lib.long_running(pod)

checked(_) if input.kind in extra_kinds

violations contains v if {
	some c in lib.containers
	c.type == "containers"
	not is_object(object.get(c.container, "livenessProbe", null))
	checked(c.pod)
	v := {
		"path": c.path,
		"message": sprintf("container %q has no livenessProbe", [c.name]),
		"fix": [],
	}
}
