package kubepolicy.rules.service_nodeport_test

import data.kubepolicy.rules.service_nodeport as rule

service(spec) := {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": spec}

test_nodeport_fails if {
	rule.violations == {{
		"path": ["spec", "type"],
		"message": "Service \"web\" is of type NodePort (spec.type): its port is open on every node of the cluster",
		"fix": [],
	}} with input as service({"type": "NodePort", "ports": [{"port": 80, "nodePort": 30080}]})
}

# LoadBalancer is not flagged (kube-linter's exposed-services does).
test_other_types_pass if {
	every t in ["ClusterIP", "LoadBalancer", "ExternalName", "nodeport"] {
		count(rule.violations) == 0 with input as service({"type": t})
	}
	count(rule.violations) == 0 with input as service({"ports": [{"port": 80}]})
}

test_other_kinds_pass if {
	count(rule.violations) == 0 with input as {"apiVersion": "v1", "kind": "ConfigMap", "spec": {"type": "NodePort"}}
	count(rule.violations) == 0 with input as {"apiVersion": "serving.knative.dev/v1", "kind": "Service", "spec": {"type": "NodePort"}}
}
