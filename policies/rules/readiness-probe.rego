# METADATA
# title: Long-running containers should have a readiness probe
# description: >-
#  Without a readiness probe a container counts as ready as soon as it starts, so a Service
#   sends it traffic while it is still loading, warming caches or waiting for a dependency, and
#   a rolling update replaces old pods with new ones that cannot serve yet: requests fail on
#   every deploy and every restart. A readiness probe keeps the pod out of its Services'
#   endpoints until it answers, and takes it out again when it stops answering. Only long-running
#   pods are checked: Deployments, StatefulSets, DaemonSets, ReplicaSets, ReplicationControllers,
#   DeploymentConfigs, Argo Rollouts, and Pods and PodTemplates that restart Always; Jobs,
#   CronJobs and batch Pods run to completion and need none. There is no automatic fix: only the
#   application knows when it is ready.
# custom:
#   id: readiness-probe
#   severity: low
#   profiles: [all]
#   pss: []
#   terrascan: [AC_K8S_0072]
#   fixable: false
#   kinds: [workloads]
#   reads: ["**.containers.*.name", "**.initContainers.*.name", "**.ephemeralContainers.*.name", "**.readinessProbe", "**.restartPolicy"]
#   passes: >-
#     Every entry of containers in a long-running pod has a readinessProbe. Init containers (native
#     sidecars included) and ephemeral containers are not checked, nor are Jobs, CronJobs, Pods
#     with restartPolicy Never or OnFailure, and podSpecPaths kinds unless the kinds parameter
#     names them.
#   fix: "None: add a readinessProbe that fits the application (httpGet, tcpSocket, grpc or exec), or suppress the finding with a reason."
package kubepolicy.rules.readiness_probe

import data.kubepolicy.lib

# extra_kinds is the kinds parameter: more kinds whose pods are long-running (custom kinds of
# podSpecPaths), none by default.
extra_kinds := {k | some k in lib.arr(lib.param("readiness-probe", "kinds", [])); is_string(k)}

checked(pod) if lib.long_running(pod)

checked(_) if input.kind in extra_kinds

violations contains v if {
	some c in lib.containers
	c.type == "containers"
	not is_object(object.get(c.container, "readinessProbe", null))
	checked(c.pod)
	v := {
		"path": c.path,
		"message": sprintf("container %q has no readinessProbe", [c.name]),
		"fix": [],
	}
}
