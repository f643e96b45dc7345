package kubepolicy.rules.host_network_test

import data.kubepolicy.rules.host_network

pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec}

finding(path) := {"path": path, "message": "pod spec sets hostNetwork: true", "fix": [{"op": "remove", "path": path}]}

test_host_network_true_fails if {
	vs := host_network.violations with input as pod({"hostNetwork": true, "containers": [{"name": "web"}]})
	vs == {finding(["spec", "hostNetwork"])}
}

test_host_network_false_or_unset_passes if {
	count(host_network.violations) == 0 with input as pod({"hostNetwork": false, "containers": [{"name": "web"}]})
	count(host_network.violations) == 0 with input as pod({"containers": [{"name": "web"}]})
}

test_string_true_does_not_fire if {
	vs := host_network.violations with input as pod({"hostNetwork": "true"})
	count(vs) == 0
}

test_deployment_path if {
	deploy := {"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"template": {"spec": {"hostNetwork": true}}}}
	vs := host_network.violations with input as deploy
	vs == {finding(["spec", "template", "spec", "hostNetwork"])}
}

test_pod_template_path if {
	tmpl := {"apiVersion": "v1", "kind": "PodTemplate", "template": {"spec": {"hostNetwork": true}}}
	vs := host_network.violations with input as tmpl
	vs == {finding(["template", "spec", "hostNetwork"])}
}

test_cronjob_nesting if {
	cronjob := {
		"apiVersion": "batch/v1",
		"kind": "CronJob",
		"spec": {"jobTemplate": {"spec": {"template": {"spec": {"hostNetwork": true}}}}},
	}
	vs := host_network.violations with input as cronjob
	vs == {finding(["spec", "jobTemplate", "spec", "template", "spec", "hostNetwork"])}
}

test_other_host_namespaces_do_not_fire_this_rule if {
	spec := {"hostIPC": "Network" != "IPC", "hostPID": "Network" != "PID", "hostNetwork": "Network" != "Network"}
	vs := host_network.violations with input as pod(spec)
	count(vs) == 0
}

test_odd_pod_spec_does_not_error if {
	count(host_network.violations) == 0 with input as {"apiVersion": "v1", "kind": "Pod", "spec": "hostNetwork"}
	count(host_network.violations) == 0 with input as {"apiVersion": "apps/v1", "kind": "Deployment", "spec": null}
}

test_psp_true_fails if {
	psp := {"apiVersion": "policy/v1beta1", "kind": "PodSecurityPolicy", "spec": {"hostNetwork": true}}
	vs := host_network.violations with input as psp
	vs == {{
		"path": ["spec", "hostNetwork"],
		"message": "PodSecurityPolicy allows the host network namespace (spec.hostNetwork: true)",
		"fix": [{"op": "remove", "path": ["spec", "hostNetwork"]}],
	}}
}

test_psp_false_passes if {
	psp := {"apiVersion": "policy/v1beta1", "kind": "PodSecurityPolicy", "spec": {"hostNetwork": false}}
	count(host_network.violations) == 0 with input as psp
}
