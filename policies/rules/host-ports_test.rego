package kubepolicy.rules.host_ports_test

import data.kubepolicy.rules.host_ports as rule

pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec}

test_host_port_fails if {
	path := ["spec", "containers", 0, "ports", 1, "hostPort"]
	rule.violations == {{
		"path": path,
		"message": "container \"web\" binds host port 8080 (ports[1].hostPort)",
		"fix": [{"op": "remove", "path": path}],
	}} with input as pod({"containers": [{"name": "web", "ports": [{"containerPort": 80}, {"containerPort": 8080, "hostPort": 8080}]}]})
}

test_container_port_only_and_zero_pass if {
	count(rule.violations) == 0 with input as pod({
		"containers": [{"name": "web", "ports": [{"containerPort": 80}, {"containerPort": 81, "hostPort": 0}, {"containerPort": 82, "hostPort": null}]}],
		"initContainers": [{"name": "init", "ports": null}],
	})
}

test_init_and_ephemeral_containers_fail if {
	vs := rule.violations with input as pod({
		"containers": [{"name": "web"}],
		"initContainers": [{"name": "init", "ports": [{"containerPort": 1, "hostPort": 12346}]}],
		"ephemeralContainers": [{"name": "debug", "ports": [{"containerPort": 2, "hostPort": 2}]}],
	})
	{v.path | some v in vs} == {["spec", "initContainers", 0, "ports", 0, "hostPort"], ["spec", "ephemeralContainers", 0, "ports", 0, "hostPort"]}
}

test_cronjob_nesting if {
	vs := rule.violations with input as {
		"apiVersion": "batch/v1",
		"kind": "CronJob",
		"metadata": {"name": "c"},
		"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "job", "ports": [{"containerPort": 1, "hostPort": 9000}]}]}}}}},
	}
	[v.fix | some v in vs] == [[{"op": "remove", "path": ["spec", "jobTemplate", "spec", "template", "spec", "containers", 0, "ports", 0, "hostPort"]}]]
}

test_odd_values_do_not_error if {
	vs := rule.violations with input as pod({"containers": [{"name": "web", "ports": ["80", {"hostPort": "8080"}]}]})
	{v.path | some v in vs} == {["spec", "containers", 0, "ports", 1, "hostPort"]}
}

test_psp_host_ports_fail if {
	rule.violations == {{
		"path": ["spec", "hostPorts"],
		"message": "PodSecurityPolicy allows host ports (spec.hostPorts)",
		"fix": [],
	}} with input as {
		"apiVersion": "policy/v1beta1",
		"kind": "PodSecurityPolicy",
		"metadata": {"name": "psp"},
		"spec": {"hostPorts": [{"min": 0, "max": 65535}]},
	}
}

test_psp_without_host_ports_passes if {
	count(rule.violations) == 0 with input as {"apiVersion": "policy/v1beta1", "kind": "PodSecurityPolicy", "metadata": {"name": "psp"}, "spec": {"hostPorts": []}}
	count(rule.violations) == 0 with input as {"apiVersion": "policy/v1beta1", "kind": "PodSecurityPolicy", "metadata": {"name": "psp"}, "spec": {}}
}
