package kubepolicy.rules.image_latest_tag_test

import data.kubepolicy.rules.image_latest_tag as rule

sha := "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

pod(containers) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": containers}}

paths(obj) := {v.path | some v in rule.violations with input as obj}

test_latest_tag_fails if {
	rule.violations == {{
		"path": ["spec", "containers", 0, "image"],
		"message": "container \"web\" uses an image with the floating tag \"latest\": pin a version tag or a digest",
		"fix": [],
	}} with input as pod([{"name": "web", "image": "nginx:latest"}])
}

test_untagged_fails if {
	rule.violations == {{
		"path": ["spec", "containers", 0, "image"],
		"message": "container \"web\" uses an image without a tag, which pulls :latest: pin a version tag or a digest",
		"fix": [],
	}} with input as pod([{"name": "web", "image": "quay.io/acme/web"}])
}

test_version_tag_passes if {
	count(rule.violations) == 0 with input as pod([{"name": "web", "image": "nginx:1.25.3"}, {"name": "b", "image": "ghcr.io/acme/app:v2"}])
}

# The registry port is not a tag (trivy#9328): reg:5000/app is untagged and fails.
test_registry_port_is_not_a_tag if {
	paths(pod([{"name": "a", "image": "reg:5000/app"}, {"name": "b", "image": "reg:5000/app:1.0"}])) == {["spec", "containers", 0, "image"]}
}

# Any digest pins the image (appshield#132, checkov#535), even with the latest tag.
test_digest_passes if {
	count(rule.violations) == 0 with input as pod([
		{"name": "a", "image": concat("@", ["nginx", sha])},
		{"name": "b", "image": concat("@", ["app:latest", sha])},
		{"name": "c", "image": concat("@", ["reg:5000/app", sha])},
	])
}

# Untagged images were missed by kube-linter (kube-linter#232); init containers count, ephemeral
# debug containers do not.
test_init_containers_checked_ephemeral_not if {
	obj := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {
		"containers": [{"name": "web", "image": "web:1"}],
		"initContainers": [{"name": "init", "image": "busybox"}],
		"ephemeralContainers": [{"name": "debug", "image": "busybox"}],
	}}
	paths(obj) == {["spec", "initContainers", 0, "image"]}
}

test_floating_tags_param if {
	cfg := {"rules": {"image-latest-tag": {"params": {"floatingTags": ["latest", "stable", "main"]}}}}
	obj := pod([{"name": "a", "image": "app:stable"}, {"name": "b", "image": "app:Stable"}, {"name": "c", "image": "app:latest"}, {"name": "d", "image": "app:1"}])
	paths(obj) == {["spec", "containers", 0, "image"], ["spec", "containers", 2, "image"]} with data.kubepolicy.config as cfg
	paths(obj) == {["spec", "containers", 2, "image"]}
}

# A regolibrary#351-style guess ("no digits means latest") is not made: a named tag passes.
test_tag_without_digits_passes if {
	count(rule.violations) == 0 with input as pod([{"name": "a", "image": "app:stable"}, {"name": "b", "image": "app:alpine"}])
}

test_ignore_param if {
	cfg := {"rules": {"image-latest-tag": {"params": {"ignore": ["controller", "ghcr.io/acme/app"]}}}}
	obj := pod([
		{"name": "a", "image": "controller"},
		{"name": "b", "image": "ghcr.io/acme/app:latest"},
		{"name": "c", "image": "ghcr.io/acme/other:latest"},
		{"name": "d", "image": "docker.io/library/controller"},
	])
	paths(obj) == {["spec", "containers", 2, "image"], ["spec", "containers", 3, "image"]} with data.kubepolicy.config as cfg
	count(paths(obj)) == 4
}

test_missing_empty_and_placeholder_images_skipped if {
	count(rule.violations) == 0 with input as pod([
		{"name": "a"},
		{"name": "b", "image": ""},
		{"name": "c", "image": null},
		{"name": "d", "image": "$(IMAGE)"},
		{"name": "e", "image": "${REGISTRY}/app"},
		{"name": "f", "image": "{{ .Values.image }}"},
	])
}

test_cronjob_template if {
	obj := {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"}, "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "job", "image": "report"}]}}}}}}
	paths(obj) == {["spec", "jobTemplate", "spec", "template", "spec", "containers", 0, "image"]}
}
