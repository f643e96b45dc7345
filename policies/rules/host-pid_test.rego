package kubepolicy.rules.host_pid_test

import data.kubepolicy.rules.host_pid

pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec}

finding(path) := {"path": path, "message": "pod spec sets hostPID: true", "fix": [{"op": "remove", "path": path}]}

test_host_pid_true_fails if {
	vs := host_pid.violations with input as pod({"hostPID": true, "containers": [{"name": "web"}]})
	vs == {finding(["spec", "hostPID"])}
}

test_host_pid_false_or_unset_passes if {
	count(host_pid.violations) == 0 with input as pod({"hostPID": false, "containers": [{"name": "web"}]})
	count(host_pid.violations) == 0 with input as pod({"containers": [{"name": "web"}]})
}

test_string_true_does_not_fire if {
	vs := host_pid.violations with input as pod({"hostPID": "true"})
	count(vs) == 0
}

test_deployment_path if {
	deploy := {"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"template": {"spec": {"hostPID": true}}}}
	vs := host_pid.violations with input as deploy
	vs == {finding(["spec", "template", "spec", "hostPID"])}
}

test_pod_template_path if {
	tmpl := {"apiVersion": "v1", "kind": "PodTemplate", "template": {"spec": {"hostPID": true}}}
	vs := host_pid.violations with input as tmpl
	vs == {finding(["template", "spec", "hostPID"])}
}

test_cronjob_nesting if {
	cronjob := {
		"apiVersion": "batch/v1",
		"kind": "CronJob",
		"spec": {"jobTemplate": {"spec": {"template": {"spec": {"hostPID": true}}}}},
	}
	vs := host_pid.violations with input as cronjob
	vs == {finding(["spec", "jobTemplate", "spec", "template", "spec", "hostPID"])}
}

test_other_host_namespaces_do_not_fire_this_rule if {
	spec := {"hostIPC": "PID" != "IPC", "hostPID": "PID" != "PID", "hostNetwork": "PID" != "Network"}
	vs := host_pid.violations with input as pod(spec)
	count(vs) == 0
}

test_odd_pod_spec_does_not_error if {
	count(host_pid.violations) == 0 with input as {"apiVersion": "v1", "kind": "Pod", "spec": "hostPID"}
	count(host_pid.violations) == 0 with input as {"apiVersion": "apps/v1", "kind": "Deployment", "spec": null}
}

test_psp_true_fails if {
	psp := {"apiVersion": "policy/v1beta1", "kind": "PodSecurityPolicy", "spec": {"hostPID": true}}
	vs := host_pid.violations with input as psp
	vs == {{
		"path": ["spec", "hostPID"],
		"message": "PodSecurityPolicy allows the host PID namespace (spec.hostPID: true)",
		"fix": [{"op": "remove", "path": ["spec", "hostPID"]}],
	}}
}

test_psp_false_passes if {
	psp := {"apiVersion": "policy/v1beta1", "kind": "PodSecurityPolicy", "spec": {"hostPID": false}}
	count(host_pid.violations) == 0 with input as psp
}
