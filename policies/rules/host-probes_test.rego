package kubepolicy.rules.host_probes_test

import data.kubepolicy.rules.host_probes as rule

pod(web, init) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {
	"containers": [object.union({"name": "web"}, web)],
	"initContainers": [object.union({"name": "init"}, init)],
}}

test_no_probes_and_probes_without_host_pass if {
	count(rule.violations) == 0 with input as pod({}, {})
	count(rule.violations) == 0 with input as pod(
		{
			"livenessProbe": {"httpGet": {"port": 8080}},
			"readinessProbe": {"tcpSocket": {"port": 8080, "host": ""}},
			"startupProbe": {"exec": {"command": ["true"]}},
			"lifecycle": {"preStop": {"sleep": {"seconds": 1}}},
		},
		{"readinessProbe": {"grpc": {"port": 9000}}},
	)
}

test_liveness_http_host_fails if {
	path := ["spec", "containers", 0, "livenessProbe", "httpGet", "host"]
	rule.violations == {{
		"path": path,
		"message": "container \"web\" sets livenessProbe.httpGet.host to \"bad.host\"",
		"fix": [{"op": "remove", "path": path}],
	}} with input as pod({"livenessProbe": {"httpGet": {"host": "bad.host", "port": 8080}}}, {})
}

test_sidecar_readiness_tcp_host_fails if {
	vs := rule.violations with input as pod({}, {"restartPolicy": "Always", "readinessProbe": {"tcpSocket": {"host": "8.8.8.8", "port": 8080}}})
	{v.path | some v in vs} == {["spec", "initContainers", 0, "readinessProbe", "tcpSocket", "host"]}
}

test_every_handler_is_checked if {
	vs := rule.violations with input as pod(
		{
			"startupProbe": {"httpGet": {"host": "127.0.0.1", "port": 1}},
			"readinessProbe": {"tcpSocket": {"host": "::1", "port": 2}},
			"lifecycle": {
				"postStart": {"httpGet": {"host": "bad.host", "port": 3}},
				"preStop": {"tcpSocket": {"host": "169.254.169.254", "port": 80}},
			},
		},
		{},
	)
	{v.path | some v in vs} == {
		["spec", "containers", 0, "startupProbe", "httpGet", "host"],
		["spec", "containers", 0, "readinessProbe", "tcpSocket", "host"],
		["spec", "containers", 0, "lifecycle", "postStart", "httpGet", "host"],
		["spec", "containers", 0, "lifecycle", "preStop", "tcpSocket", "host"],
	}
	[v.message | some v in vs; v.path[3] == "lifecycle"; v.path[4] == "preStop"] == ["container \"web\" sets lifecycle.preStop.tcpSocket.host to \"169.254.169.254\""]
}

test_only_checked_from_1_34 if {
	count(rule.violations) == 0 with input as pod({"livenessProbe": {"httpGet": {"host": "bad.host"}}}, {})
		with data.kubepolicy.config as {"kubernetesMinor": 33}
	count(rule.violations) == 1 with input as pod({"livenessProbe": {"httpGet": {"host": "bad.host"}}}, {})
		with data.kubepolicy.config as {"kubernetesMinor": 34, "profile": "pss-baseline"}
}

test_odd_values_do_not_error if {
	count(rule.violations) == 0 with input as pod({"livenessProbe": null, "lifecycle": "x", "readinessProbe": {"httpGet": {"host": 5}}}, {})
}

test_ephemeral_and_cronjob if {
	vs := rule.violations with input as {
		"apiVersion": "batch/v1",
		"kind": "CronJob",
		"metadata": {"name": "c"},
		"spec": {"jobTemplate": {"spec": {"template": {"spec": {
			"containers": [{"name": "job", "livenessProbe": {"tcpSocket": {"host": "db", "port": 5432}}}],
			"ephemeralContainers": [{"name": "debug", "lifecycle": {"postStart": {"httpGet": {"host": "x"}}}}],
		}}}}},
	}
	{v.path | some v in vs} == {
		["spec", "jobTemplate", "spec", "template", "spec", "containers", 0, "livenessProbe", "tcpSocket", "host"],
		["spec", "jobTemplate", "spec", "template", "spec", "ephemeralContainers", 0, "lifecycle", "postStart", "httpGet", "host"],
	}
}
