package kubepolicy.rules.run_as_high_uid_test

import data.kubepolicy.rules.run_as_high_uid

pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec}

ctr(name, uid) := {"name": name, "image": "nginx", "securityContext": {"runAsUser": uid}}

uid_path(type, i) := ["spec", type, i, "securityContext", "runAsUser"]

low(name, path, uid) := {
	"path": path,
	"message": sprintf("container %q sets securityContext.runAsUser: %d, below the minimum UID 10000", [name, uid]),
	"fix": [{"op": "set", "path": path, "value": 10001}],
}

unset(name, path) := {
	"path": path,
	"message": sprintf("container %q has no securityContext.runAsUser (nor does the pod), so the image picks the UID, often root", [name]),
	"fix": [{"op": "set", "path": path, "value": 10001}],
}

pod_low(path, uid) := {
	"path": path,
	"message": sprintf("pod spec sets securityContext.runAsUser: %d, below the minimum UID 10000", [uid]),
	"fix": [{"op": "set", "path": path, "value": 10001}],
}

test_container_low_uid_fails if {
	vs := run_as_high_uid.violations with input as pod({"containers": [ctr("web", 1000)]})
	vs == {low("web", uid_path("containers", 0), 1000)}
}

test_root_uid_fails if {
	vs := run_as_high_uid.violations with input as pod({"containers": [ctr("web", 0)]})
	vs == {low("web", uid_path("containers", 0), 0)}
}

test_container_high_uid_passes if {
	vs := run_as_high_uid.violations with input as pod({"containers": [ctr("a", 10000), ctr("b", 65534)]})
	count(vs) == 0
}

test_unset_everywhere_fails_per_container if {
	spec := {"initContainers": [{"name": "init"}], "containers": [{"name": "web", "securityContext": {}}]}
	vs := run_as_high_uid.violations with input as pod(spec)
	vs == {unset("init", uid_path("initContainers", 0)), unset("web", uid_path("containers", 0))}
}

test_ephemeral_container_is_checked if {
	spec := {"securityContext": {"runAsUser": 20000}, "containers": [{"name": "web"}], "ephemeralContainers": [ctr("debug", 5)]}
	vs := run_as_high_uid.violations with input as pod(spec)
	vs == {low("debug", uid_path("ephemeralContainers", 0), 5)}
}

test_low_pod_value_is_reported_once_on_the_pod if {
	spec := {"securityContext": {"runAsUser": 1000}, "initContainers": [{"name": "init"}], "containers": [{"name": "a"}, {"name": "b"}]}
	vs := run_as_high_uid.violations with input as pod(spec)
	vs == {pod_low(["spec", "securityContext", "runAsUser"], 1000)}
}

test_high_pod_value_is_inherited if {
	spec := {"securityContext": {"runAsUser": 10001}, "containers": [{"name": "a"}, {"name": "b", "securityContext": {"runAsUser": null}}]}
	vs := run_as_high_uid.violations with input as pod(spec)
	count(vs) == 0
}

test_container_value_overrides_low_pod_value if {
	spec := {"securityContext": {"runAsUser": 1}, "containers": [ctr("a", 10001)]}
	vs := run_as_high_uid.violations with input as pod(spec)
	count(vs) == 0
}

test_container_low_value_overrides_high_pod_value if {
	spec := {"securityContext": {"runAsUser": 10001}, "containers": [ctr("a", 10001), ctr("b", 33)]}
	vs := run_as_high_uid.violations with input as pod(spec)
	vs == {low("b", uid_path("containers", 1), 33)}
}

test_null_container_value_inherits_low_pod_value if {
	spec := {"securityContext": {"runAsUser": 999}, "containers": [ctr("a", null), ctr("b", 10001)]}
	vs := run_as_high_uid.violations with input as pod(spec)
	vs == {pod_low(["spec", "securityContext", "runAsUser"], 999)}
}

test_cronjob_nesting if {
	tmpl := ["spec", "jobTemplate", "spec", "template", "spec"]
	cronjob := {
		"apiVersion": "batch/v1",
		"kind": "CronJob",
		"spec": {"jobTemplate": {"spec": {"template": {"spec": {"securityContext": {"runAsUser": 0}, "containers": [{"name": "job"}]}}}}},
	}
	vs := run_as_high_uid.violations with input as cronjob
	vs == {pod_low(array.concat(tmpl, ["securityContext", "runAsUser"]), 0)}
}

test_min_uid_parameter if {
	cfg := {"rules": {"run-as-high-uid": {"params": {"minUID": 1000}}}}
	spec := {"containers": [ctr("a", 1000), ctr("b", 999)]}
	vs := run_as_high_uid.violations with input as pod(spec) with data.kubepolicy.config as cfg
	vs == {{
		"path": uid_path("containers", 1),
		"message": "container \"b\" sets securityContext.runAsUser: 999, below the minimum UID 1000",
		"fix": [{"op": "set", "path": uid_path("containers", 1), "value": 1001}],
	}}
}

test_min_uid_parameter_in_params_form if {
	cfg := {"params": {"run-as-high-uid": {"minUID": 500}}}
	vs := run_as_high_uid.violations with input as pod({"containers": [ctr("a", 600)]}) with data.kubepolicy.config as cfg
	count(vs) == 0
}

test_bad_min_uid_parameter_falls_back_to_default if {
	cfg := {"rules": {"run-as-high-uid": {"params": {"minUID": "lots"}}}}
	vs := run_as_high_uid.violations with input as pod({"containers": [ctr("a", 1000)]}) with data.kubepolicy.config as cfg
	vs == {low("a", uid_path("containers", 0), 1000)}
}

test_windows_pod_is_skipped if {
	spec := {"os": {"name": "windows"}, "containers": [{"name": "web"}, ctr("b", 0)]}
	vs := run_as_high_uid.violations with input as pod(spec)
	count(vs) == 0
}

test_odd_types_do_not_fire if {
	spec := {"securityContext": {"runAsUser": "0"}, "containers": [ctr("a", "1000"), {"name": "b", "securityContext": "x"}, "c"]}
	vs := run_as_high_uid.violations with input as pod(spec)
	count(vs) == 0
}

psp(run_as_user) := {"apiVersion": "policy/v1beta1", "kind": "PodSecurityPolicy", "spec": {"runAsUser": run_as_user}}

test_psp_run_as_any_fails if {
	vs := run_as_high_uid.violations with input as psp({"rule": "RunAsAny"})
	vs == {{"path": ["spec", "runAsUser"], "message": "PodSecurityPolicy runAsUser rule RunAsAny allows UIDs below 10000", "fix": []}}
}

test_psp_must_run_as_non_root_fails if {
	vs := run_as_high_uid.violations with input as psp({"rule": "MustRunAsNonRoot"})
	vs == {{"path": ["spec", "runAsUser"], "message": "PodSecurityPolicy runAsUser rule MustRunAsNonRoot allows UIDs below 10000", "fix": []}}
}

test_psp_low_range_fails if {
	vs := run_as_high_uid.violations with input as psp({"rule": "MustRunAs", "ranges": [{"min": 10000, "max": 20000}, {"min": 1, "max": 65535}]})
	vs == {{
		"path": ["spec", "runAsUser", "ranges", 1],
		"message": "PodSecurityPolicy allows UIDs below 10000 (spec.runAsUser.ranges[1].min: 1)",
		"fix": [],
	}}
}

test_psp_high_ranges_pass if {
	vs := run_as_high_uid.violations with input as psp({"rule": "MustRunAs", "ranges": [{"min": 10000, "max": 20000}, {"min": 30000, "max": 40000}]})
	count(vs) == 0
}
