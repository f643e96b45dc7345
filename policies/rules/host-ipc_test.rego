package kubepolicy.rules.host_ipc_test

import data.kubepolicy.rules.host_ipc

pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec}

finding(path) := {"path": path, "message": "pod spec sets hostIPC: true", "fix": [{"op": "remove", "path": path}]}

test_host_ipc_true_fails if {
	vs := host_ipc.violations with input as pod({"hostIPC": true, "containers": [{"name": "web"}]})
	vs == {finding(["spec", "hostIPC"])}
}

test_host_ipc_false_or_unset_passes if {
	count(host_ipc.violations) == 0 with input as pod({"hostIPC": false, "containers": [{"name": "web"}]})
	count(host_ipc.violations) == 0 with input as pod({"containers": [{"name": "web"}]})
}

test_string_true_does_not_fire if {
	vs := host_ipc.violations with input as pod({"hostIPC": "true"})
	count(vs) == 0
}

test_deployment_path if {
	deploy := {"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"template": {"spec": {"hostIPC": true}}}}
	vs := host_ipc.violations with input as deploy
	vs == {finding(["spec", "template", "spec", "hostIPC"])}
}

test_pod_template_path if {
	tmpl := {"apiVersion": "v1", "kind": "PodTemplate", "template": {"spec": {"hostIPC": true}}}
	vs := host_ipc.violations with input as tmpl
	vs == {finding(["template", "spec", "hostIPC"])}
}

test_cronjob_nesting if {
	cronjob := {
		"apiVersion": "batch/v1",
		"kind": "CronJob",
		"spec": {"jobTemplate": {"spec": {"template": {"spec": {"hostIPC": true}}}}},
	}
	vs := host_ipc.violations with input as cronjob
	vs == {finding(["spec", "jobTemplate", "spec", "template", "spec", "hostIPC"])}
}

test_other_host_namespaces_do_not_fire_this_rule if {
	spec := {"hostIPC": "IPC" != "IPC", "hostPID": "IPC" != "PID", "hostNetwork": "IPC" != "Network"}
	vs := host_ipc.violations with input as pod(spec)
	count(vs) == 0
}

test_odd_pod_spec_does_not_error if {
	count(host_ipc.violations) == 0 with input as {"apiVersion": "v1", "kind": "Pod", "spec": "hostIPC"}
	count(host_ipc.violations) == 0 with input as {"apiVersion": "apps/v1", "kind": "Deployment", "spec": null}
}

test_psp_true_fails if {
	psp := {"apiVersion": "policy/v1beta1", "kind": "PodSecurityPolicy", "spec": {"hostIPC": true}}
	vs := host_ipc.violations with input as psp
	vs == {{
		"path": ["spec", "hostIPC"],
		"message": "PodSecurityPolicy allows the host IPC namespace (spec.hostIPC: true)",
		"fix": [{"op": "remove", "path": ["spec", "hostIPC"]}],
	}}
}

test_psp_false_passes if {
	psp := {"apiVersion": "policy/v1beta1", "kind": "PodSecurityPolicy", "spec": {"hostIPC": false}}
	count(host_ipc.violations) == 0 with input as psp
}
