package kubepolicy.rules.image_digest_test

import data.kubepolicy.rules.image_digest as rule

hex64 := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

pod(containers) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": containers}}

paths(obj) := {v.path | some v in rule.violations with input as obj}

test_tag_without_digest_fails if {
	rule.violations == {{
		"path": ["spec", "containers", 0, "image"],
		"message": "container \"web\" uses an image without a digest: pin it with @sha256:...",
		"fix": [],
	}} with input as pod([{"name": "web", "image": "nginx:1.25"}])
}

test_sha256_and_sha512_digests_pass if {
	count(rule.violations) == 0 with input as pod([
		{"name": "a", "image": concat("", ["nginx@sha256:", hex64])},
		{"name": "b", "image": concat("", ["ghcr.io/acme/app:1.2@sha256:", hex64])},
		{"name": "c", "image": concat("", ["reg:5000/app@sha512:", hex64, hex64])},
	])
}

test_malformed_digest_fails if {
	rule.violations == {{
		"path": ["spec", "containers", 0, "image"],
		"message": "container \"web\" uses an image with the malformed digest \"sha256:abc\": want sha256: and 64 lowercase hex digits, or sha512: and 128",
		"fix": [],
	}} with input as pod([{"name": "web", "image": "app@sha256:abc"}])
}

test_other_malformed_digests_fail if {
	obj := pod([
		{"name": "upper", "image": concat("", ["app@sha256:", upper(hex64)])},
		{"name": "md5", "image": "app@md5:0123456789abcdef0123456789abcdef"},
		{"name": "short512", "image": concat("", ["app@sha512:", hex64])},
		{"name": "empty", "image": "app@"},
		{"name": "trailing", "image": concat("", ["app@sha256:", hex64, "x"])},
	])
	count(paths(obj)) == 5
}

# Untagged and latest images fail here too; the engine keeps only image-latest-tag's finding
# (custom.supersedes) when both rules are enabled.
test_untagged_fails if {
	paths(pod([{"name": "a", "image": "reg:5000/app"}, {"name": "b", "image": "nginx:latest"}])) == {["spec", "containers", 0, "image"], ["spec", "containers", 1, "image"]}
}

test_ephemeral_skipped_init_checked if {
	obj := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {
		"containers": [{"name": "web", "image": concat("", ["web@sha256:", hex64])}],
		"initContainers": [{"name": "init", "image": "busybox:1.36"}],
		"ephemeralContainers": [{"name": "debug", "image": "busybox:1.36"}],
	}}
	paths(obj) == {["spec", "initContainers", 0, "image"]}
}

test_missing_and_placeholder_images_skipped if {
	count(rule.violations) == 0 with input as pod([{"name": "a"}, {"name": "b", "image": ""}, {"name": "c", "image": "app:$(TAG)"}])
}
