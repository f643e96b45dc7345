package kubepolicy.rules.image_pull_policy_test

import data.kubepolicy.rules.image_pull_policy as rule

sha := "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

pod(containers) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": containers}}

paths(obj) := {v.path | some v in rule.violations with input as obj}

fix(i) := [{"op": "set", "path": ["spec", "containers", i, "imagePullPolicy"], "value": "Always"}]

# A versioned tag defaults to IfNotPresent (kube-score#48): the container's entry is highlighted.
test_versioned_tag_default_fails if {
	rule.violations == {{
		"path": ["spec", "containers", 0],
		"message": "container \"web\" has no imagePullPolicy, which defaults to IfNotPresent for the image tag \"1.25\": a node reuses whatever it cached under that tag",
		"fix": fix(0),
	}} with input as pod([{"name": "web", "image": "nginx:1.25"}])
}

test_explicit_if_not_present_fails if {
	rule.violations == {{
		"path": ["spec", "containers", 0, "imagePullPolicy"],
		"message": "container \"web\" has imagePullPolicy IfNotPresent for the image tag \"latest\": a node reuses whatever it cached under that tag",
		"fix": fix(0),
	}} with input as pod([{"name": "web", "image": "nginx:latest", "imagePullPolicy": "IfNotPresent"}])
}

test_explicit_never_fails if {
	paths(pod([{"name": "web", "image": "app", "imagePullPolicy": "Never"}])) == {["spec", "containers", 0, "imagePullPolicy"]}
}

test_always_passes if {
	count(rule.violations) == 0 with input as pod([{"name": "web", "image": "nginx:1.25", "imagePullPolicy": "Always"}])
}

# Kubernetes defaults an untagged or :latest image to Always (CK CKV_K8S_15, KSC).
test_untagged_and_latest_default_to_always if {
	count(rule.violations) == 0 with input as pod([
		{"name": "a", "image": "nginx"},
		{"name": "b", "image": "nginx:latest"},
		{"name": "c", "image": "nginx:latest", "imagePullPolicy": ""},
		{"name": "d", "image": "reg:5000/app"},
	])
}

# The registry port is not a tag: reg:5000/app:1 defaults to IfNotPresent, reg:5000/app to Always.
test_registry_port_is_not_a_tag if {
	paths(pod([{"name": "a", "image": "reg:5000/app:1"}, {"name": "b", "image": "reg:5000/app"}])) == {["spec", "containers", 0]}
}

# A digest cannot change (checkov#4776, polaris#1058): it passes with any policy.
test_digest_passes if {
	count(rule.violations) == 0 with input as pod([
		{"name": "a", "image": concat("@", ["nginx:1.25", sha])},
		{"name": "b", "image": concat("@", ["nginx", sha]), "imagePullPolicy": "IfNotPresent"},
	])
}

# An empty or non-string policy is unset: the default applies, and the written key is highlighted.
test_empty_policy_is_the_default if {
	rule.violations == {{
		"path": ["spec", "containers", 0, "imagePullPolicy"],
		"message": "container \"web\" has no imagePullPolicy, which defaults to IfNotPresent for the image tag \"2\": a node reuses whatever it cached under that tag",
		"fix": fix(0),
	}} with input as pod([{"name": "web", "image": "app:2", "imagePullPolicy": null}])
}

test_init_checked_ephemeral_skipped if {
	obj := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {
		"containers": [{"name": "web", "image": "web", "imagePullPolicy": "Always"}],
		"initContainers": [{"name": "init", "image": "busybox:1.36"}],
		"ephemeralContainers": [{"name": "debug", "image": "busybox:1.36"}],
	}}
	paths(obj) == {["spec", "initContainers", 0]}
}

test_missing_and_placeholder_images_skipped if {
	count(rule.violations) == 0 with input as pod([{"name": "a", "imagePullPolicy": "Never"}, {"name": "b", "image": "app:${TAG}"}])
}
