package kubepolicy.rules.image_registry_test

import data.kubepolicy.rules.image_registry as rule

sha := "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

pod(containers) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": containers}}

paths(obj) := {v.path | some v in rule.violations with input as obj}

allow(list) := {"rules": {"image-registry": {"params": {"allowed": list}}}}

test_k8s_gcr_io_fails_with_rename if {
	path := ["spec", "containers", 0, "image"]
	rule.violations == {{
		"path": path,
		"message": "container \"proxy\" uses image \"k8s.gcr.io/kube-proxy:v1.26.0\" from the denied registry k8s.gcr.io (frozen since April 2023, with no new images or fixes): use registry.k8s.io",
		"fix": [{"op": "set", "path": path, "value": "registry.k8s.io/kube-proxy:v1.26.0"}],
	}} with input as pod([{"name": "proxy", "image": "k8s.gcr.io/kube-proxy:v1.26.0"}])
}

test_rename_keeps_path_tag_and_digest if {
	image := concat("", ["k8s.gcr.io/ingress-nginx/controller:v1.2.1@", sha])
	[v.fix | some v in rule.violations] == [[{"op": "set", "path": ["spec", "initContainers", 0, "image"], "value": concat("", ["registry.k8s.io/ingress-nginx/controller:v1.2.1@", sha])}]] with input as {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "a", "image": "app:1"}], "initContainers": [{"name": "init", "image": image}]}}
}

test_other_registries_pass_by_default if {
	count(rule.violations) == 0 with input as pod([
		{"name": "a", "image": "registry.k8s.io/pause:3.9"},
		{"name": "b", "image": "nginx"},
		{"name": "c", "image": "gcr.io/k8s-gcr/app:1"},
		{"name": "d", "image": "k8s.gcr.io.example.com/app:1"},
	])
}

# A Docker Hub organisation is not a registry (unlike TV KSV-0125): myorg/k8s.gcr.io is docker.io.
test_docker_hub_org_named_like_a_registry_passes if {
	count(rule.violations) == 0 with input as pod([{"name": "a", "image": "k8s/gcr.io"}])
}

test_denied_param if {
	cfg := {"rules": {"image-registry": {"params": {"denied": ["docker.io", "reg:5000"]}}}}
	obj := pod([
		{"name": "a", "image": "nginx:1"},
		{"name": "b", "image": "reg:5000/app"},
		{"name": "c", "image": "k8s.gcr.io/pause:3.1"},
		{"name": "d", "image": "reg/app"},
	])
	vs := rule.violations with input as obj with data.kubepolicy.config as cfg
	{v.path | some v in vs} == {["spec", "containers", 0, "image"], ["spec", "containers", 1, "image"], ["spec", "containers", 3, "image"]}
	{v.message | some v in vs} == {
		"container \"a\" uses image \"nginx:1\" from the denied registry docker.io",
		"container \"b\" uses image \"reg:5000/app\" from the denied registry reg:5000",
		"container \"d\" uses image \"reg/app\" from the denied registry docker.io",
	}
	every v in vs {
		v.fix == []
	}
}

test_allowed_registries if {
	cfg := allow(["ghcr.io", "reg.example.com:5000"])
	obj := pod([
		{"name": "a", "image": "ghcr.io/acme/app:1"},
		{"name": "b", "image": "reg.example.com:5000/app"},
		{"name": "c", "image": "reg.example.com/app:1"},
		{"name": "d", "image": "nginx:1"},
		{"name": "e", "image": "evilghcr.io/app:1"},
	])
	vs := rule.violations with input as obj with data.kubepolicy.config as cfg
	{v.path | some v in vs} == {["spec", "containers", 2, "image"], ["spec", "containers", 3, "image"], ["spec", "containers", 4, "image"]}
	"container \"d\" uses image \"nginx:1\" from docker.io/library/nginx, which no entry of the allowed list matches (ghcr.io, reg.example.com:5000)" in {v.message | some v in vs}
}

# The first segment of a Docker Hub name is an organisation, not a registry (TV KSV-0125 reads
# myorg/app as registry myorg): allowing "myorg" does not allow it, docker.io/myorg/ does.
test_docker_hub_organisation_is_not_a_registry if {
	obj := pod([{"name": "a", "image": "myorg/app:1"}])
	paths(obj) == {["spec", "containers", 0, "image"]} with data.kubepolicy.config as allow(["myorg"])
	count(rule.violations) == 0 with input as obj with data.kubepolicy.config as allow(["docker.io/myorg/"])
}

test_allowed_prefixes if {
	cfg := allow(["ghcr.io/acme/", "docker.io/library/", "quay.io/team"])
	obj := pod([
		{"name": "a", "image": "ghcr.io/acme/app:1"},
		{"name": "b", "image": "ghcr.io/acme-evil/app:1"},
		{"name": "c", "image": "nginx:1"},
		{"name": "d", "image": "docker.io/library/redis"},
		{"name": "e", "image": "bitnami/redis"},
		{"name": "f", "image": "quay.io/team/app:1"},
		{"name": "g", "image": "quay.io/teammate/app:1"},
		{"name": "h", "image": "ghcr.io/acme"},
		{"name": "i", "image": "quay.io/team"},
	])
	paths(obj) == {
		["spec", "containers", 1, "image"],
		["spec", "containers", 4, "image"],
		["spec", "containers", 6, "image"],
	} with data.kubepolicy.config as cfg
}

# A denied registry is reported once, with its fix, even when the allow list misses it too.
test_denied_reported_once_under_an_allow_list if {
	vs := rule.violations with input as pod([{"name": "a", "image": "k8s.gcr.io/pause:3.1"}]) with data.kubepolicy.config as allow(["ghcr.io"])
	count(vs) == 1
	[v.fix | some v in vs] == [[{"op": "set", "path": ["spec", "containers", 0, "image"], "value": "registry.k8s.io/pause:3.1"}]]
}

test_ephemeral_missing_and_placeholder_skipped if {
	obj := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {
		"containers": [{"name": "a"}, {"name": "b", "image": "k8s.gcr.io/$(IMAGE)"}, {"name": "c", "image": "{{ .Values.registry }}/app"}],
		"ephemeralContainers": [{"name": "debug", "image": "k8s.gcr.io/busybox"}],
	}}
	count(rule.violations) == 0 with input as obj
}
