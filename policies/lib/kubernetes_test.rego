package kubepolicy.lib_test

import data.kubepolicy.lib

spec := {"containers": [{"name": "web"}]}

meta := {"name": "m", "labels": {"app": "x"}}

template_obj(api, kind) := {"apiVersion": api, "kind": kind, "metadata": {"name": "w"}, "spec": {"template": {"metadata": meta, "spec": spec}}}

template_pod := {
	"path": ["spec", "template", "spec"],
	"spec": spec,
	"metadata": meta,
	"metadata_path": ["spec", "template", "metadata"],
}

# pods ----------------------------------------------------------------------

test_pods_of_a_pod if {
	pods := lib.pods with input as {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}
	pods == {{"path": ["spec"], "spec": spec, "metadata": meta, "metadata_path": ["metadata"]}}
}

test_pods_of_a_pod_template if {
	pods := lib.pods with input as {"apiVersion": "v1", "kind": "PodTemplate", "metadata": {"name": "t"}, "template": {"metadata": meta, "spec": spec}}
	pods == {{"path": ["template", "spec"], "spec": spec, "metadata": meta, "metadata_path": ["template", "metadata"]}}
}

test_pods_of_template_workloads if {
	kinds := [
		["apps/v1", "Deployment"],
		["apps/v1", "ReplicaSet"],
		["v1", "ReplicationController"],
		["apps/v1", "StatefulSet"],
		["apps/v1", "DaemonSet"],
		["batch/v1", "Job"],
		["argoproj.io/v1alpha1", "Rollout"],
		["apps.openshift.io/v1", "DeploymentConfig"],
		["v1", "DeploymentConfig"],
	]
	every k in kinds {
		lib.pods == {template_pod} with input as template_obj(k[0], k[1])
	}
}

test_pods_of_a_cronjob if {
	cronjob := {
		"apiVersion": "batch/v1",
		"kind": "CronJob",
		"spec": {"jobTemplate": {"spec": {"template": {"metadata": meta, "spec": spec}}}},
	}
	pods := lib.pods with input as cronjob
	pods == {{
		"path": ["spec", "jobTemplate", "spec", "template", "spec"],
		"spec": spec,
		"metadata": meta,
		"metadata_path": ["spec", "jobTemplate", "spec", "template", "metadata"],
	}}
}

test_rollout_of_another_api_group_has_no_pods if {
	count(lib.pods) == 0 with input as template_obj("example.com/v1", "Rollout")
}

test_missing_metadata_is_an_empty_object if {
	pods := lib.pods with input as {"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"template": {"metadata": "x", "spec": spec}}}
	{p.metadata | some p in pods} == {{}}
}

test_non_workloads_have_no_pods if {
	count(lib.pods) == 0 with input as {"apiVersion": "v1", "kind": "ConfigMap", "data": {"spec": "x"}}
	count(lib.pods) == 0 with input as {"apiVersion": "v1", "kind": "Service", "spec": {"template": {"spec": spec}}}
	count(lib.pods) == 0 with input as {"apiVersion": "policy/v1beta1", "kind": "PodSecurityPolicy", "spec": {"privileged": true}}
	count(lib.pods) == 0 with input as "a string"
	count(lib.pods) == 0 with input as [1, 2]
}

# workload_kinds (what custom.kinds' "workloads" stands for) lists exactly the kinds with a pod spec.
test_workload_kinds_have_pod_specs if {
	every kind in lib.workload_kinds {
		count(lib.pod_spec_paths) > 0 with input as {"apiVersion": "argoproj.io/v1alpha1", "kind": kind}
	}
	not "ConfigMap" in lib.workload_kinds
	not "PodSecurityPolicy" in lib.workload_kinds
}

test_workload_kinds_include_configured_pod_spec_paths if {
	cfg := {"podSpecPaths": [{"apiVersion": "example.com/v1", "kind": "Worker", "path": "spec.runner.podSpec"}]}
	"Worker" in lib.workload_kinds with data.kubepolicy.config as cfg
	not "Worker" in lib.workload_kinds
}

test_pod_spec_that_is_not_an_object_is_skipped if {
	count(lib.pods) == 0 with input as {"apiVersion": "v1", "kind": "Pod", "spec": "x"}
	count(lib.pods) == 0 with input as {"apiVersion": "v1", "kind": "Pod", "spec": null}
	count(lib.pods) == 0 with input as {"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"template": ["x"]}}
	count(lib.pods) == 0 with input as {"apiVersion": "batch/v1", "kind": "CronJob", "spec": {"jobTemplate": "x"}}
}

worker := {"apiVersion": "example.com/v1", "kind": "Worker", "spec": {"runner": {"metadata": meta, "podSpec": spec}}}

test_configured_pod_spec_paths if {
	cfg := {"podSpecPaths": [{"apiVersion": "example.com/v1", "kind": "Worker", "path": ["spec", "runner", "podSpec"]}]}
	pods := lib.pods with input as worker with data.kubepolicy.config as cfg
	pods == {{
		"path": ["spec", "runner", "podSpec"],
		"spec": spec,
		"metadata": meta,
		"metadata_path": ["spec", "runner", "metadata"],
	}}
}

test_configured_pod_spec_path_as_dotted_string if {
	cfg := {"podSpecPaths": [{"apiVersion": "example.com/v1", "kind": "Worker", "path": "spec.runner.podSpec"}]}
	pods := lib.pods with input as worker with data.kubepolicy.config as cfg
	{p.path | some p in pods} == {["spec", "runner", "podSpec"]}
}

test_configured_pod_spec_paths_match_kind_and_api_version if {
	other_api := {"podSpecPaths": [{"apiVersion": "example.com/v2", "kind": "Worker", "path": ["spec", "runner", "podSpec"]}]}
	other_kind := {"podSpecPaths": [{"apiVersion": "example.com/v1", "kind": "Runner", "path": ["spec", "runner", "podSpec"]}]}
	count(lib.pods) == 0 with input as worker with data.kubepolicy.config as other_api
	count(lib.pods) == 0 with input as worker with data.kubepolicy.config as other_kind
	count(lib.pods) == 0 with input as worker
}

test_bad_pod_spec_path_config_is_ignored if {
	cfg := {"podSpecPaths": [null, "x", {"apiVersion": "example.com/v1", "kind": "Worker", "path": ""}, {"apiVersion": "example.com/v1", "kind": "Worker", "path": 3}]}
	count(lib.pods) == 0 with input as worker with data.kubepolicy.config as cfg
	count(lib.pods) == 0 with input as worker with data.kubepolicy.config as {"podSpecPaths": "spec"}
}

# containers ----------------------------------------------------------------

all_kinds_pod := {
	"apiVersion": "v1",
	"kind": "Pod",
	"spec": {
		"initContainers": [{"name": "init", "securityContext": {"runAsUser": 1}}],
		"containers": [{"name": "a"}, {"name": "b", "securityContext": null}],
		"ephemeralContainers": [{"name": "debug", "securityContext": {"privileged": true}}],
	},
}

test_containers_of_every_list_with_paths if {
	cs := lib.containers with input as all_kinds_pod
	{[c.name, c.type, c.index, c.path, c.security_context] | some c in cs} == {
		["init", "initContainers", 0, ["spec", "initContainers", 0], {"runAsUser": 1}],
		["a", "containers", 0, ["spec", "containers", 0], {}],
		["b", "containers", 1, ["spec", "containers", 1], {}],
		["debug", "ephemeralContainers", 0, ["spec", "ephemeralContainers", 0], {"privileged": true}],
	}
}

test_container_carries_its_object_and_pod if {
	cs := lib.containers with input as all_kinds_pod
	some c in cs
	c.name == "a"
	c.container == {"name": "a"}
	c.pod.path == ["spec"]
	c.pod.spec == all_kinds_pod.spec
}

test_containers_of_a_cronjob if {
	cronjob := {
		"apiVersion": "batch/v1",
		"kind": "CronJob",
		"spec": {"jobTemplate": {"spec": {"template": {"spec": {"initContainers": [{"name": "i"}], "containers": [{"name": "c"}]}}}}},
	}
	cs := lib.containers with input as cronjob
	prefix := ["spec", "jobTemplate", "spec", "template", "spec"]
	{c.path | some c in cs} == {array.concat(prefix, ["initContainers", 0]), array.concat(prefix, ["containers", 0])}
}

test_unnamed_container_is_named_by_position if {
	cs := lib.containers with input as {"kind": "Pod", "spec": {"containers": [{"name": "a"}, {"image": "x"}, {"name": 5}]}}
	{c.name | some c in cs} == {"a", "containers[1]", "containers[2]"}
}

test_odd_container_entries_are_skipped if {
	pod := {"kind": "Pod", "spec": {"containers": ["web", null, 3, [], {"name": "ok", "securityContext": "x"}], "initContainers": {"name": "i"}, "ephemeralContainers": "e"}}
	cs := lib.containers with input as pod
	{[c.name, c.index, c.security_context] | some c in cs} == {["ok", 4, {}]}
}

# effective / pod_security_context ---------------------------------------------

effective_of(pod_sc, container_sc, field) := v if {
	cs := lib.containers with input as {"kind": "Pod", "spec": {"securityContext": pod_sc, "containers": [{"name": "c", "securityContext": container_sc}]}}
	some c in cs
	v := lib.effective(c, field)
}

test_effective_container_value if {
	effective_of({}, {"runAsUser": 5}, "runAsUser") == 5
}

test_effective_inherits_the_pod_value if {
	effective_of({"runAsUser": 7}, {}, "runAsUser") == 7
	effective_of({"runAsUser": 7}, null, "runAsUser") == 7
}

test_effective_container_overrides_the_pod if {
	effective_of({"runAsNonRoot": true}, {"runAsNonRoot": false}, "runAsNonRoot") == false
	effective_of({"runAsUser": 7}, {"runAsUser": 0}, "runAsUser") == 0
}

test_effective_null_container_value_falls_back_to_the_pod if {
	effective_of({"runAsUser": 7}, {"runAsUser": null}, "runAsUser") == 7
}

test_effective_is_undefined_when_neither_sets_it if {
	not effective_of({}, {}, "runAsUser")
	not effective_of(null, null, "runAsUser")
	not effective_of({"runAsUser": null}, {"runAsUser": null}, "runAsUser")
	not effective_of("x", "y", "runAsUser")
}

test_pod_security_context if {
	lib.pod_security_context({"spec": {"securityContext": {"runAsUser": 1}}}) == {"runAsUser": 1}
	lib.pod_security_context({"spec": {"securityContext": null}}) == {}
	lib.pod_security_context({"spec": {}}) == {}
}

# is_windows / is_psp -------------------------------------------------------

test_is_windows if {
	lib.is_windows({"spec": {"os": {"name": "windows"}}})
	not lib.is_windows({"spec": {"os": {"name": "linux"}}})
	not lib.is_windows({"spec": {"os": {"name": "Windows"}}})
	not lib.is_windows({"spec": {}})
	not lib.is_windows({"spec": {"os": "windows"}})
}

windows_of(pod) if lib.is_windows(pod)

else := false

test_container_windows_is_is_windows_of_its_pod if {
	every os in [{"name": "windows"}, {"name": "linux"}, {"name": "Windows"}, "windows", null, {}] {
		cs := lib.containers with input as {"kind": "Pod", "spec": {"os": os, "containers": [{"name": "a"}], "initContainers": [{"name": "i"}]}}
		count(cs) == 2
		expected := os == {"name": "windows"}
		every c in cs {
			c.windows == expected
			c.windows == windows_of(c.pod)
		}
	}
	linux := lib.containers with input as all_kinds_pod
	{c.windows | some c in linux} == {false}
}

test_is_windows_on_a_discovered_pod if {
	pods := lib.pods with input as {"kind": "Pod", "spec": {"os": {"name": "windows"}, "containers": []}}
	some pod in pods
	lib.is_windows(pod)
}

test_is_psp if {
	lib.is_psp with input as {"apiVersion": "policy/v1beta1", "kind": "PodSecurityPolicy"}
	not lib.is_psp with input as {"apiVersion": "v1", "kind": "Pod"}
}

# configuration -------------------------------------------------------------

test_config_defaults if {
	lib.profile == "default"
	lib.k8s_minor == 37
	lib.resource_defaults == {"cpuRequest": "100m", "cpuLimit": "500m", "memoryRequest": "128Mi", "memoryLimit": "512Mi"}
	lib.param("run-as-high-uid", "minUID", 10000) == 10000
	lib.config.podSpecPaths == []
}

test_config_override_merges_with_defaults if {
	cfg := {"profile": "pss-baseline"}
	lib.profile == "pss-baseline" with data.kubepolicy.config as cfg
	lib.k8s_minor == 37 with data.kubepolicy.config as cfg
	lib.resource_defaults.cpuLimit == "500m" with data.kubepolicy.config as cfg
}

test_profiles if {
	lib.profile == "pss-restricted" with data.kubepolicy.config as {"profile": "pss-restricted"}
	lib.profile == "default" with data.kubepolicy.config as {"profile": "strict"}
	lib.profile == "default" with data.kubepolicy.config as {"profile": null}
	lib.profile == "recommended" with data.kubepolicy.config as {"profile": "recommended"}
	lib.profile == "all" with data.kubepolicy.config as {"profile": "all"}
}

test_strict_for_the_nested_profiles_only if {
	lib.strict
	lib.strict with data.kubepolicy.config as {"profile": "recommended"}
	lib.strict with data.kubepolicy.config as {"profile": "all"}
	not lib.strict with data.kubepolicy.config as {"profile": "pss-baseline"}
	not lib.strict with data.kubepolicy.config as {"profile": "pss-restricted"}
}

test_config_that_is_not_an_object_uses_defaults if {
	lib.profile == "default" with data.kubepolicy.config as "pss-baseline"
	lib.config == lib.default_config with data.kubepolicy.config as null
}

test_kubernetes_minor if {
	lib.k8s_minor == 31 with data.kubepolicy.config as {"kubernetesMinor": 31}
	lib.k8s_minor == 30 with data.kubepolicy.config as {"kubernetesVersion": "1.30"}
	lib.k8s_minor == 29 with data.kubepolicy.config as {"kubernetesVersion": "v1.29.3"}
	lib.k8s_minor == 28 with data.kubepolicy.config as {"kubernetesMinor": 28, "kubernetesVersion": "1.30"}
}

test_bad_kubernetes_version_falls_back_to_the_newest if {
	lib.k8s_minor == 37 with data.kubepolicy.config as {"kubernetesVersion": "2.0"}
	lib.k8s_minor == 37 with data.kubepolicy.config as {"kubernetesVersion": "latest"}
	lib.k8s_minor == 37 with data.kubepolicy.config as {"kubernetesVersion": 1.3}
	lib.k8s_minor == 37 with data.kubepolicy.config as {"kubernetesMinor": "31"}
}

test_param_from_rules_section if {
	cfg := {"rules": {"run-as-high-uid": {"severity": "low", "params": {"minUID": 2000}}}}
	lib.param("run-as-high-uid", "minUID", 10000) == 2000 with data.kubepolicy.config as cfg
	lib.param("run-as-high-uid", "other", "d") == "d" with data.kubepolicy.config as cfg
	lib.param("cpu-limits", "minUID", 1) == 1 with data.kubepolicy.config as cfg
}

test_param_from_params_section if {
	cfg := {"params": {"run-as-high-uid": {"minUID": 3000}}}
	lib.param("run-as-high-uid", "minUID", 10000) == 3000 with data.kubepolicy.config as cfg
}

test_param_rules_section_wins if {
	cfg := {"rules": {"r": {"params": {"p": 1}}}, "params": {"r": {"p": 2}}}
	lib.param("r", "p", 0) == 1 with data.kubepolicy.config as cfg
}

test_param_null_or_odd_config_gives_the_default if {
	lib.param("r", "p", 9) == 9 with data.kubepolicy.config as {"rules": {"r": {"params": {"p": null}}}}
	lib.param("r", "p", 9) == 9 with data.kubepolicy.config as {"rules": "x", "params": null}
	lib.param("r", "p", 9) == 9 with data.kubepolicy.config as {"rules": {"r": null}}
	lib.param("r", "p", false) == false
}

test_resource_defaults_override if {
	cfg := {"defaults": {"resources": {"cpuLimit": "1", "memoryRequest": "1Gi"}}}
	lib.resource_defaults == {"cpuRequest": "100m", "cpuLimit": "1", "memoryRequest": "1Gi", "memoryLimit": "512Mi"} with data.kubepolicy.config as cfg
	lib.resource_defaults.cpuLimit == "500m" with data.kubepolicy.config as {"defaults": {"resources": null}}
	lib.resource_defaults.cpuLimit == "500m" with data.kubepolicy.config as {"defaults": null}
}

# obj / arr -----------------------------------------------------------------

test_obj_and_arr if {
	lib.obj({"a": 1}) == {"a": 1}
	lib.obj(null) == {}
	lib.obj([1]) == {}
	lib.obj("x") == {}
	lib.arr([1]) == [1]
	lib.arr(null) == []
	lib.arr({"a": 1}) == []
}

# clean_path ----------------------------------------------------------------

test_clean_path if {
	cases := {
		"/": "/",
		"//": "/",
		"/.": "/",
		"/..": "/",
		"/../..": "/",
		"/var/run": "/var/run",
		"/var/run/": "/var/run",
		"/var/run///": "/var/run",
		"//var//run//docker.sock": "/var/run/docker.sock",
		"/var/./run/./docker.sock": "/var/run/docker.sock",
		"/var/lib/../run/docker.sock": "/var/run/docker.sock",
		"/a/b/c/../../../var/run": "/var/run",
		"/a/b/../c/../../run": "/run",
		"/../var/run": "/var/run",
		"/var/run/docker.sock/..": "/var/run",
		"/a/..b/c": "/a/..b/c",
		"/a/.../b": "/a/.../b",
		"/a/.b/": "/a/.b",
		"a/b/../c/": "a/c",
		"": "",
	}
	every raw, clean in cases {
		lib.clean_path(raw) == clean
	}
}

test_clean_path_of_a_non_string_is_undefined if {
	not lib.clean_path(5)
	not lib.clean_path(null)
	not lib.clean_path(["/"])
}
