# METADATA
# title: Services should not be of type NodePort
# description: >-
#   A NodePort Service opens its port on every node of the cluster, on every address of the node,
#   usually from a high range that firewalls and security groups are not written for. The workload
#   becomes reachable from wherever the nodes are, bypassing the load balancer or Ingress where TLS,
#   authentication and logging normally live. Expose workloads through a ClusterIP Service behind an
#   Ingress or Gateway, or a LoadBalancer Service, and keep NodePort for the cases that need it
#   (some cloud ingress controllers), with a reasoned suppression.
# custom:
#   id: service-nodeport
#   severity: low
#   profiles: [all]
#   pss: []
#   terrascan: [AC_K8S_0111]
#   fixable: false
#   kinds: [Service]
#   reads: [metadata.name, metadata.namespace, spec.type]
#   passes: The Service's spec.type is ClusterIP (or unset), LoadBalancer or ExternalName.
#   fix: None; changing the Service type changes how clients reach the workload.
package kubepolicy.rules.service_nodeport

violations contains v if {
	input.kind == "Service"
	input.apiVersion == "v1"
	input.spec.type == "NodePort"
	v := {
		"path": ["spec", "type"],
		"message": sprintf("Service %q is of type NodePort (spec.type): its port is open on every node of the cluster", [object.get(input, ["metadata", "name"], "")]),
		"fix": [],
	}
}
