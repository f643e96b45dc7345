package kubepolicy.rules.git_repo_volume_test

import data.kubepolicy.rules.git_repo_volume as rule

pod(volumes) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "web"}], "volumes": volumes}}

git := {"name": "src", "gitRepo": {"repository": "https://example.com/app.git", "revision": "main"}}

path := ["spec", "volumes", 1, "gitRepo"]

test_git_repo_volume_fails_locked_off_from_1_36 if {
	rule.violations == {{
		"path": path,
		"message": "volume \"src\" uses gitRepo: the plugin is locked off from Kubernetes 1.36, so the pod cannot start; clone from an init container into an emptyDir instead",
		"fix": [],
	}} with input as pod([{"name": "tmp", "emptyDir": {}}, git])
}

test_message_for_1_33_to_1_35 if {
	every minor in [33, 35] {
		[v.message | some v in rule.violations] == ["volume \"src\" uses gitRepo: the plugin is disabled by default from Kubernetes 1.33 (feature gate GitRepoVolumeDriver), and where enabled lets the pod's author clone any repository the node can read (CVE-2025-1767); clone from an init container into an emptyDir instead"] with input as pod([{"name": "tmp", "emptyDir": {}}, git])
			with data.kubepolicy.config as {"kubernetesMinor": minor}
	}
}

test_message_before_1_33_names_both_cves if {
	vs := rule.violations with input as pod([{"name": "tmp", "emptyDir": {}}, git])
		with data.kubepolicy.config as {"kubernetesVersion": "1.32"}
	[v.message | some v in vs] == ["volume \"src\" uses gitRepo: the kubelet runs git on the node as root: CVE-2024-10220 (fixed in kubelet 1.28.12, 1.29.7, 1.30.3) and CVE-2025-1767 (unfixed) let the pod's author run commands or read repositories on the node; clone from an init container into an emptyDir instead"]
	[v.path | some v in vs] == [path]
}

test_other_volumes_pass if {
	count(rule.violations) == 0 with input as pod([{"name": "tmp", "emptyDir": {}}, {"name": "c", "configMap": {"name": "x"}}])
	count(rule.violations) == 0 with input as pod([{"name": "g", "gitRepo": null}])
	count(rule.violations) == 0 with input as pod(null)
}

test_unnamed_volume_and_workload_nesting if {
	vs := rule.violations with input as {
		"apiVersion": "batch/v1",
		"kind": "CronJob",
		"metadata": {"name": "c"},
		"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "job"}], "volumes": ["x", {"gitRepo": {}}]}}}}},
	}
	[v.path | some v in vs] == [["spec", "jobTemplate", "spec", "template", "spec", "volumes", 1, "gitRepo"]]
	startswith(vs[_].message, "volume volumes[1] uses gitRepo:")
}
