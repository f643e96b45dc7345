package kubepolicy.lib_images_test

import data.kubepolicy.lib

sha := "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

# [image, name, registry, repository, tag, digest]
image_cases := [
	["nginx", "nginx", "docker.io", "library/nginx", "", ""],
	["nginx:1.25", "nginx", "docker.io", "library/nginx", "1.25", ""],
	["nginx:latest", "nginx", "docker.io", "library/nginx", "latest", ""],
	["bitnami/redis:7.2", "bitnami/redis", "docker.io", "bitnami/redis", "7.2", ""],
	["docker.io/nginx", "docker.io/nginx", "docker.io", "library/nginx", "", ""],
	["docker.io/library/nginx:1", "docker.io/library/nginx", "docker.io", "library/nginx", "1", ""],
	["index.docker.io/nginx:1", "index.docker.io/nginx", "docker.io", "library/nginx", "1", ""],
	["ghcr.io/acme/app:v1.2.3", "ghcr.io/acme/app", "ghcr.io", "acme/app", "v1.2.3", ""],
	["quay.io/argoproj/argocd:latest", "quay.io/argoproj/argocd", "quay.io", "argoproj/argocd", "latest", ""],
	["k8s.gcr.io/pause:3.1", "k8s.gcr.io/pause", "k8s.gcr.io", "pause", "3.1", ""],
	["registry.k8s.io/a/b/c:1", "registry.k8s.io/a/b/c", "registry.k8s.io", "a/b/c", "1", ""],
	# The registry port is not a tag (trivy#9328): untagged.
	["reg:5000/app", "reg:5000/app", "reg:5000", "app", "", ""],
	["reg:5000/team/app:2.0", "reg:5000/team/app", "reg:5000", "team/app", "2.0", ""],
	["localhost/app:dev", "localhost/app", "localhost", "app", "dev", ""],
	["localhost:5000/app", "localhost:5000/app", "localhost:5000", "app", "", ""],
	["Registry/app:1", "Registry/app", "Registry", "app", "1", ""],
	["myorg/app", "myorg/app", "docker.io", "myorg/app", "", ""],
	# A digest: no tag (nginx@sha256:...), or a tag and a digest.
	[concat("@", ["nginx", sha]), "nginx", "docker.io", "library/nginx", "", sha],
	[concat("@", ["app:latest", sha]), "app", "docker.io", "library/app", "latest", sha],
	[concat("@", ["reg:5000/app", sha]), "reg:5000/app", "reg:5000", "app", "", sha],
	["app@sha256:abc", "app", "docker.io", "library/app", "", "sha256:abc"],
	# A one-segment name with a colon: a tag, not a registry.
	["reg:5000", "reg", "docker.io", "library/reg", "5000", ""],
	["nginx:", "nginx", "docker.io", "library/nginx", "", ""],
	# The tag follows the last ":" of the last segment; the digest the first "@".
	["reg:5000/app:1:2", "reg:5000/app:1", "reg:5000", "app:1", "2", ""],
	["app@sha256:a@b", "app", "docker.io", "library/app", "", "sha256:a@b"],
	["ÄB/app", "ÄB/app", "ÄB", "app", "", ""],
]

# failed lists the images parsed differently from the table.
test_image_ref_table if {
	failed := [c[0] |
		some c in image_cases
		not lib.image_ref(c[0]) == {"name": c[1], "registry": c[2], "repository": c[3], "tag": c[4], "digest": c[5]}
	]
	failed == []
}

test_image_ref_undefined if {
	every image in [null, 1, "", true, {"name": "x"}, ["nginx"]] {
		not lib.image_ref(image)
	}
}

test_image_ref_placeholders_undefined if {
	every image in [
		"$(IMAGE)",
		"ghcr.io/acme/app:$(TAG)",
		"${REGISTRY}/app:1",
		"{{ .Values.image }}",
		"repo/app:{{ .Chart.AppVersion }}",
	] {
		not lib.image_ref(image)
	}
}
