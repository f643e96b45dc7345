package kubepolicy.rules.apparmor_profile_test

import data.kubepolicy.rules.apparmor_profile as rule

baseline := {"profile": "pss-baseline"}

restricted := {"profile": "pss-restricted"}

pod(annotations, spec) := {
	"apiVersion": "v1",
	"kind": "Pod",
	"metadata": {"name": "p", "annotations": annotations},
	"spec": spec,
}

containers := {"containers": [{"name": "web"}], "initContainers": [{"name": "init"}]}

with_pod_type(t) := object.union(containers, {"securityContext": {"appArmorProfile": {"type": t}}})

pod_type_path := ["spec", "securityContext", "appArmorProfile", "type"]

# Forbidden values (every profile) ---------------------------------------------

test_unconfined_annotation_fails_at_baseline if {
	path := ["metadata", "annotations", "container.apparmor.security.beta.kubernetes.io/web"]
	vs := rule.violations with input as pod({"container.apparmor.security.beta.kubernetes.io/web": "unconfined"}, containers)
		with data.kubepolicy.config as baseline
	vs == {{
		"path": path,
		"message": "container \"web\" has AppArmor annotation container.apparmor.security.beta.kubernetes.io/web: \"unconfined\"; only runtime/default or localhost/<profile> are allowed",
		"fix": [{"op": "set", "path": path, "value": "runtime/default"}],
	}}
}

test_unconfined_annotation_on_init_fails_at_restricted if {
	vs := rule.violations with input as pod({"container.apparmor.security.beta.kubernetes.io/init": "unconfined"}, containers)
		with data.kubepolicy.config as restricted
	{v.path | some v in vs} == {["metadata", "annotations", "container.apparmor.security.beta.kubernetes.io/init"]}
}

test_allowed_annotations_pass if {
	count(rule.violations) == 0 with input as pod(
		{
			"container.apparmor.security.beta.kubernetes.io/web": "localhost/foo",
			"container.apparmor.security.beta.kubernetes.io/init": "runtime/default",
			"other.example.com/x": "unconfined",
		},
		containers,
	)
		with data.kubepolicy.config as baseline
}

test_unset_passes_at_baseline_and_restricted if {
	count(rule.violations) == 0 with input as pod({}, containers) with data.kubepolicy.config as baseline
	count(rule.violations) == 0 with input as pod(null, containers) with data.kubepolicy.config as restricted
}

test_pod_field_unconfined_fails if {
	rule.violations == {{
		"path": pod_type_path,
		"message": "pod spec sets securityContext.appArmorProfile.type \"Unconfined\"; only RuntimeDefault or Localhost are allowed",
		"fix": [{"op": "set", "path": pod_type_path, "value": "RuntimeDefault"}],
	}} with input as pod({}, with_pod_type("Unconfined"))
		with data.kubepolicy.config as baseline
}

test_container_field_unconfined_fails if {
	path := ["spec", "initContainers", 0, "securityContext", "appArmorProfile", "type"]
	vs := rule.violations with input as pod({}, {
		"securityContext": {"appArmorProfile": {"type": "RuntimeDefault"}},
		"containers": [{"name": "web", "securityContext": {"appArmorProfile": {"type": "Localhost", "localhostProfile": "k8s"}}}],
		"initContainers": [{"name": "init", "securityContext": {"appArmorProfile": {"type": "Unconfined"}}}],
	})
	vs == {{
		"path": path,
		"message": "container \"init\" sets securityContext.appArmorProfile.type \"Unconfined\"; only RuntimeDefault or Localhost are allowed",
		"fix": [{"op": "set", "path": path, "value": "RuntimeDefault"}],
	}}
}

test_field_and_annotation_allowed_values_pass if {
	count(rule.violations) == 0 with input as pod({}, with_pod_type("RuntimeDefault"))
	count(rule.violations) == 0 with input as pod({}, with_pod_type("Localhost"))
}

test_odd_values_do_not_error if {
	vs := rule.violations with input as pod({"container.apparmor.security.beta.kubernetes.io/web": 5}, {
		"securityContext": {"appArmorProfile": "RuntimeDefault"},
		"containers": [{"name": "web", "securityContext": {"appArmorProfile": null}}],
	})
		with data.kubepolicy.config as baseline
	{v.path | some v in vs} == {["metadata", "annotations", "container.apparmor.security.beta.kubernetes.io/web"]}
}

# Default profile: a profile must be set ----------------------------------------

test_default_unset_is_one_pod_finding if {
	rule.violations == {{
		"path": pod_type_path,
		"message": "no AppArmor profile is set for containers \"init\", \"web\" (securityContext.appArmorProfile.type at pod level or on the container)",
		"fix": [{"op": "set", "path": pod_type_path, "value": "RuntimeDefault"}],
	}} with input as pod({}, containers)
}

test_default_pod_field_covers_every_container if {
	count(rule.violations) == 0 with input as pod({}, with_pod_type("RuntimeDefault"))
}

test_default_container_fields_and_annotations_count if {
	count(rule.violations) == 0 with input as pod(
		{"container.apparmor.security.beta.kubernetes.io/init": "localhost/foo"},
		{
			"containers": [{"name": "web", "securityContext": {"appArmorProfile": {"type": "RuntimeDefault"}}}],
			"initContainers": [{"name": "init"}],
		},
	)
}

test_default_names_only_unset_containers if {
	vs := rule.violations with input as pod({}, {
		"containers": [{"name": "web", "securityContext": {"appArmorProfile": {"type": "RuntimeDefault"}}}],
		"initContainers": [{"name": "init"}],
		"ephemeralContainers": [{"name": "debug"}],
	})
	[v.message | some v in vs] == ["no AppArmor profile is set for containers \"debug\", \"init\" (securityContext.appArmorProfile.type at pod level or on the container)"]
}

test_default_before_1_30_fixes_with_annotations if {
	vs := rule.violations with input as pod({}, containers) with data.kubepolicy.config as {"kubernetesMinor": 29}
	[v.path | some v in vs] == [pod_type_path]
	[v.fix | some v in vs] == [[
		{"op": "set", "path": ["metadata", "annotations", "container.apparmor.security.beta.kubernetes.io/init"], "value": "runtime/default"},
		{"op": "set", "path": ["metadata", "annotations", "container.apparmor.security.beta.kubernetes.io/web"], "value": "runtime/default"},
	]]
}

test_default_unconfined_pod_field_is_reported_once if {
	vs := rule.violations with input as pod({}, with_pod_type("Unconfined"))
	[v.path | some v in vs] == [pod_type_path]
	[v.fix | some v in vs] == [[{"op": "set", "path": pod_type_path, "value": "RuntimeDefault"}]]
}

test_default_empty_annotation_counts_as_unset if {
	vs := rule.violations with input as pod({"container.apparmor.security.beta.kubernetes.io/web": ""}, {"containers": [{"name": "web"}]})
	[v.path | some v in vs] == [pod_type_path]
}

test_default_windows_pod_is_not_required_to_set_a_profile if {
	count(rule.violations) == 0 with input as pod({}, object.union(containers, {"os": {"name": "windows"}}))
}

test_deployment_template_annotation_paths if {
	vs := rule.violations with input as {
		"apiVersion": "apps/v1",
		"kind": "Deployment",
		"metadata": {"name": "d", "annotations": {"container.apparmor.security.beta.kubernetes.io/a": "unconfined"}},
		"spec": {"template": {
			"metadata": {"annotations": {"container.apparmor.security.beta.kubernetes.io/a": "unconfined"}},
			"spec": {"containers": [{"name": "a"}]},
		}},
	}
		with data.kubepolicy.config as baseline
	{v.path | some v in vs} == {["spec", "template", "metadata", "annotations", "container.apparmor.security.beta.kubernetes.io/a"]}
}

test_cronjob_default_unset_before_1_30 if {
	vs := rule.violations with input as {
		"apiVersion": "batch/v1",
		"kind": "CronJob",
		"metadata": {"name": "c"},
		"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "job"}]}}}}},
	}
		with data.kubepolicy.config as {"kubernetesMinor": 28}
	[v.path | some v in vs] == [["spec", "jobTemplate", "spec", "template", "spec", "securityContext", "appArmorProfile", "type"]]
	[v.fix | some v in vs] == [[{
		"op": "set",
		"path": ["spec", "jobTemplate", "spec", "template", "metadata", "annotations", "container.apparmor.security.beta.kubernetes.io/job"],
		"value": "runtime/default",
	}]]
}

# PodSecurityPolicy (default profile only) --------------------------------------

psp(annotations) := {
	"apiVersion": "policy/v1beta1",
	"kind": "PodSecurityPolicy",
	"metadata": {"name": "psp", "annotations": annotations},
	"spec": {},
}

psp_path := ["metadata", "annotations", "apparmor.security.beta.kubernetes.io/defaultProfileName"]

test_psp_without_default_profile_fails if {
	rule.violations == {{
		"path": psp_path,
		"message": "PodSecurityPolicy annotation apparmor.security.beta.kubernetes.io/defaultProfileName is not set, not runtime/default",
		"fix": [{"op": "set", "path": psp_path, "value": "runtime/default"}],
	}} with input as psp(null)
}

test_psp_other_default_profile_fails if {
	vs := rule.violations with input as psp({"apparmor.security.beta.kubernetes.io/defaultProfileName": "unconfined"})
	[v.message | some v in vs] == ["PodSecurityPolicy annotation apparmor.security.beta.kubernetes.io/defaultProfileName is \"unconfined\", not runtime/default"]
}

test_psp_runtime_default_passes if {
	count(rule.violations) == 0 with input as psp({"apparmor.security.beta.kubernetes.io/defaultProfileName": "runtime/default"})
}

test_psp_not_checked_by_pss_profiles if {
	count(rule.violations) == 0 with input as psp({}) with data.kubepolicy.config as baseline
	count(rule.violations) == 0 with input as psp({}) with data.kubepolicy.config as restricted
}
