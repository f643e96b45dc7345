package kubepolicy.rules.seccomp_profile_test

import data.kubepolicy.rules.seccomp_profile as rule

baseline := {"profile": "pss-baseline"}

restricted := {"profile": "pss-restricted"}

# Pod Security Admission reads the legacy annotations only before Kubernetes 1.19.
baseline_1_18 := {"profile": "pss-baseline", "kubernetesVersion": "1.18"}

restricted_1_18 := {"profile": "pss-restricted", "kubernetesMinor": 18}

pod(annotations, spec) := {
	"apiVersion": "v1",
	"kind": "Pod",
	"metadata": {"name": "p", "annotations": annotations},
	"spec": spec,
}

profile(t) := {"seccompProfile": {"type": t}}

# A pod with a web container and an init container and the given security contexts.
two(pod_sc, web_sc, init_sc) := pod({}, {
	"securityContext": pod_sc,
	"containers": [{"name": "web", "securityContext": web_sc}],
	"initContainers": [{"name": "init", "securityContext": init_sc}],
})

pod_path := ["spec", "securityContext", "seccompProfile", "type"]

web_path := ["spec", "containers", 0, "securityContext", "seccompProfile", "type"]

init_path := ["spec", "initContainers", 0, "securityContext", "seccompProfile", "type"]

# Baseline: only Unconfined is forbidden ----------------------------------------

test_baseline_pod_unconfined_fails if {
	rule.violations == {{
		"path": pod_path,
		"message": "pod spec sets securityContext.seccompProfile.type \"Unconfined\", which disables syscall filtering",
		"fix": [{"op": "set", "path": pod_path, "value": "RuntimeDefault"}],
	}} with input as two(profile("Unconfined"), {}, {})
		with data.kubepolicy.config as baseline
}

test_baseline_container_unconfined_fails if {
	rule.violations == {{
		"path": web_path,
		"message": "container \"web\" sets securityContext.seccompProfile.type \"Unconfined\", which disables syscall filtering",
		"fix": [{"op": "set", "path": web_path, "value": "RuntimeDefault"}],
	}} with input as two({}, profile("Unconfined"), {})
		with data.kubepolicy.config as baseline
}

test_baseline_init_unconfined_fails if {
	vs := rule.violations with input as two(profile("RuntimeDefault"), {}, profile("Unconfined"))
		with data.kubepolicy.config as baseline
	{v.path | some v in vs} == {init_path}
}

test_baseline_pod_unconfined_fails_even_if_containers_override if {
	vs := rule.violations with input as two(profile("Unconfined"), profile("RuntimeDefault"), profile("RuntimeDefault"))
		with data.kubepolicy.config as baseline
	{v.path | some v in vs} == {pod_path}
}

test_baseline_unset_and_other_values_pass if {
	count(rule.violations) == 0 with input as two({}, null, {}) with data.kubepolicy.config as baseline
	count(rule.violations) == 0 with input as two(profile("RuntimeDefault"), profile("Localhost"), {}) with data.kubepolicy.config as baseline
	count(rule.violations) == 0 with input as two(profile("Bogus"), {}, {}) with data.kubepolicy.config as baseline
}

# Restricted and default: a profile must be set ---------------------------------

test_restricted_unset_is_one_pod_finding if {
	rule.violations == {{
		"path": pod_path,
		"message": "no seccomp profile is set for containers \"init\", \"web\" (securityContext.seccompProfile.type at pod level or on the container)",
		"fix": [{"op": "set", "path": pod_path, "value": "RuntimeDefault"}],
	}} with input as two({}, {}, {})
		with data.kubepolicy.config as restricted
}

test_default_profile_is_as_strict_as_restricted if {
	vs := rule.violations with input as two(null, {"seccompProfile": null}, {"seccompProfile": {}})
	{v.path | some v in vs} == {pod_path}
}

test_restricted_pod_level_passes if {
	count(rule.violations) == 0 with input as two(profile("RuntimeDefault"), {}, {}) with data.kubepolicy.config as restricted
	count(rule.violations) == 0 with input as two({"seccompProfile": {"type": "Localhost", "localhostProfile": "p.json"}}, {}, {})
		with data.kubepolicy.config as restricted
}

test_restricted_every_container_set_passes if {
	count(rule.violations) == 0 with input as two({}, profile("RuntimeDefault"), profile("Localhost"))
		with data.kubepolicy.config as restricted
}

test_restricted_only_init_unset_names_init if {
	vs := rule.violations with input as two({}, profile("RuntimeDefault"), {})
		with data.kubepolicy.config as restricted
	[v.message | some v in vs] == ["no seccomp profile is set for container \"init\" (securityContext.seccompProfile.type at pod level or on the container)"]
	[v.path | some v in vs] == [pod_path]
}

test_restricted_init_unconfined_with_container_set if {
	vs := rule.violations with input as two({}, profile("RuntimeDefault"), profile("Unconfined"))
		with data.kubepolicy.config as restricted
	vs == {{
		"path": init_path,
		"message": "container \"init\" sets securityContext.seccompProfile.type \"Unconfined\"; only RuntimeDefault or Localhost are allowed",
		"fix": [{"op": "set", "path": init_path, "value": "RuntimeDefault"}],
	}}
}

test_restricted_pod_unconfined_is_one_finding if {
	vs := rule.violations with input as two(profile("Unconfined"), {}, {}) with data.kubepolicy.config as restricted
	[v.path | some v in vs] == [pod_path]
}

test_restricted_unknown_type_fails if {
	vs := rule.violations with input as two(profile("Bogus"), {}, {}) with data.kubepolicy.config as restricted
	[v.path | some v in vs] == [pod_path]
}

test_ephemeral_container_counts if {
	vs := rule.violations with input as pod({}, {
		"containers": [{"name": "web", "securityContext": profile("RuntimeDefault")}],
		"ephemeralContainers": [{"name": "debug"}],
	})
	[v.message | some v in vs] == ["no seccomp profile is set for container \"debug\" (securityContext.seccompProfile.type at pod level or on the container)"]
}

# Legacy annotations ------------------------------------------------------------

test_legacy_pod_annotation_counts_as_set if {
	every value in ["runtime/default", "docker/default", "localhost/profile.json"] {
		count(rule.violations) == 0 with input as pod({"seccomp.security.alpha.kubernetes.io/pod": value}, {"containers": [{"name": "web"}]})
	}
}

test_legacy_container_annotations_count_as_set if {
	count(rule.violations) == 0 with input as pod(
		{
			"container.seccomp.security.alpha.kubernetes.io/web": "runtime/default",
			"container.seccomp.security.alpha.kubernetes.io/init": "localhost/x",
		},
		{"containers": [{"name": "web"}], "initContainers": [{"name": "init"}]},
	)
		with data.kubepolicy.config as restricted_1_18
}

test_legacy_unconfined_pod_annotation_fails_at_baseline if {
	path := ["metadata", "annotations", "seccomp.security.alpha.kubernetes.io/pod"]
	rule.violations == {{
		"path": path,
		"message": "pod has the legacy annotation seccomp.security.alpha.kubernetes.io/pod: \"unconfined\", which disables syscall filtering",
		"fix": [{"op": "set", "path": path, "value": "runtime/default"}],
	}} with input as pod({"seccomp.security.alpha.kubernetes.io/pod": "unconfined"}, {"containers": [{"name": "web"}]})
		with data.kubepolicy.config as baseline_1_18
}

test_legacy_unconfined_container_annotation_fails if {
	path := ["metadata", "annotations", "container.seccomp.security.alpha.kubernetes.io/web"]
	vs := rule.violations with input as pod(
		{"container.seccomp.security.alpha.kubernetes.io/web": "unconfined"},
		{"securityContext": profile("RuntimeDefault"), "containers": [{"name": "web"}]},
	)
		with data.kubepolicy.config as restricted_1_18
	[v.path | some v in vs] == [path]
	[v.fix | some v in vs] == [[{"op": "set", "path": path, "value": "runtime/default"}]]
}

# From Kubernetes 1.19 Pod Security Admission reads the fields alone: under pss-restricted a pod
# with only the legacy runtime/default annotation has no profile, and under pss-baseline an
# unconfined annotation is not a violation. The default profile keeps reading them.
test_legacy_annotations_are_not_read_by_pss_profiles_from_1_19 if {
	annotated := pod({"seccomp.security.alpha.kubernetes.io/pod": "runtime/default"}, {"containers": [{"name": "web"}]})
	rule.violations == {{
		"path": pod_path,
		"message": "no seccomp profile is set for container \"web\" (securityContext.seccompProfile.type at pod level or on the container); Pod Security Admission does not read the legacy seccomp.security.alpha.kubernetes.io annotations from Kubernetes 1.19 on",
		"fix": [{"op": "set", "path": pod_path, "value": "RuntimeDefault"}],
	}} with input as annotated
		with data.kubepolicy.config as restricted
	count(rule.violations) == 1 with input as annotated
		with data.kubepolicy.config as {"profile": "pss-restricted", "kubernetesVersion": "1.19"}
	count(rule.violations) == 0 with input as annotated
		with data.kubepolicy.config as restricted_1_18
	count(rule.violations) == 0 with input as annotated
}

test_legacy_unconfined_annotations_pass_pss_baseline_from_1_19 if {
	unconfined := pod(
		{
			"seccomp.security.alpha.kubernetes.io/pod": "unconfined",
			"container.seccomp.security.alpha.kubernetes.io/web": "unconfined",
		},
		{"containers": [{"name": "web"}]},
	)
	count(rule.violations) == 0 with input as unconfined with data.kubepolicy.config as baseline
	count(rule.violations) == 2 with input as unconfined with data.kubepolicy.config as baseline_1_18
	count(rule.violations) == 2 with input as unconfined
	count(rule.violations) == 2 with input as unconfined with data.kubepolicy.config as {"profile": "recommended"}
}

test_legacy_container_annotation_is_not_read_by_pss_restricted_from_1_19 if {
	count(rule.violations) == 0 with input as pod(
		{"container.seccomp.security.alpha.kubernetes.io/web": "unconfined"},
		{"securityContext": profile("RuntimeDefault"), "containers": [{"name": "web"}]},
	)
		with data.kubepolicy.config as restricted
}

test_field_takes_precedence_over_annotation if {
	count(rule.violations) == 0 with input as pod(
		{"container.seccomp.security.alpha.kubernetes.io/web": "unconfined"},
		{"containers": [{"name": "web", "securityContext": profile("RuntimeDefault")}]},
	)
}

# Windows, nesting, odd values -------------------------------------------------------

test_windows_pod_is_skipped if {
	count(rule.violations) == 0 with input as pod({}, {"os": {"name": "windows"}, "containers": [{"name": "web"}]})
	count(rule.violations) == 0 with input as pod({}, {"os": {"name": "windows"}, "securityContext": profile("Unconfined"), "containers": [{"name": "web"}]})
		with data.kubepolicy.config as baseline
}

test_cronjob_nesting if {
	vs := rule.violations with input as {
		"apiVersion": "batch/v1",
		"kind": "CronJob",
		"metadata": {"name": "c"},
		"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "job"}]}}}}},
	}
	[v.path | some v in vs] == [["spec", "jobTemplate", "spec", "template", "spec", "securityContext", "seccompProfile", "type"]]
}

test_odd_values_do_not_error if {
	vs := rule.violations with input as pod({"seccomp.security.alpha.kubernetes.io/pod": 7}, {
		"securityContext": {"seccompProfile": "RuntimeDefault"},
		"containers": [{"name": "web", "securityContext": {"seccompProfile": {"type": 3}}}],
	})
	{v.path | some v in vs} == {
		["metadata", "annotations", "seccomp.security.alpha.kubernetes.io/pod"],
		web_path,
	}
}
