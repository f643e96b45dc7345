package kubepolicy.rules.windows_host_process_test

import data.kubepolicy.rules.windows_host_process as rule

pod(pod_sc, web_sc) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {
	"os": {"name": "windows"},
	"hostNetwork": true,
	"securityContext": pod_sc,
	"containers": [{"name": "web", "securityContext": web_sc}],
}}

host_process(x) := {"windowsOptions": {"hostProcess": x}}

test_pod_level_host_process_fails if {
	path := ["spec", "securityContext", "windowsOptions", "hostProcess"]
	rule.violations == {{
		"path": path,
		"message": "pod spec sets securityContext.windowsOptions.hostProcess: true (runs on the host with no isolation)",
		"fix": [{"op": "remove", "path": path}],
	}} with input as pod(host_process(true), {"windowsOptions": {}})
}

test_container_level_host_process_fails if {
	path := ["spec", "containers", 0, "securityContext", "windowsOptions", "hostProcess"]
	rule.violations == {{
		"path": path,
		"message": "container \"web\" sets securityContext.windowsOptions.hostProcess: true (runs on the host with no isolation)",
		"fix": [{"op": "remove", "path": path}],
	}} with input as pod({"windowsOptions": {}}, host_process(true))
}

test_false_unset_and_empty_pass if {
	count(rule.violations) == 0 with input as pod(host_process(false), {"windowsOptions": {}})
	count(rule.violations) == 0 with input as pod(null, {"windowsOptions": null})
	count(rule.violations) == 0 with input as pod({"windowsOptions": "x"}, host_process("true"))
}

test_init_container_and_deployment if {
	vs := rule.violations with input as {
		"apiVersion": "apps/v1",
		"kind": "Deployment",
		"metadata": {"name": "d"},
		"spec": {"template": {"spec": {
			"containers": [{"name": "web"}],
			"initContainers": [{"name": "init", "securityContext": host_process(true)}],
		}}},
	}
	{v.path | some v in vs} == {["spec", "template", "spec", "initContainers", 0, "securityContext", "windowsOptions", "hostProcess"]}
}

test_cronjob_nesting if {
	vs := rule.violations with input as {
		"apiVersion": "batch/v1",
		"kind": "CronJob",
		"metadata": {"name": "c"},
		"spec": {"jobTemplate": {"spec": {"template": {"spec": {"securityContext": host_process(true), "containers": [{"name": "job"}]}}}}},
	}
	{v.path | some v in vs} == {["spec", "jobTemplate", "spec", "template", "spec", "securityContext", "windowsOptions", "hostProcess"]}
}
