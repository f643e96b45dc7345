# METADATA
# title: Container images must come from an allowed registry
# description: >-
#   The registry decides what code runs: an image from a registry nobody vetted, or from one that
#   is no longer maintained, escapes the scanning, signing and retention that the organisation's
#   own registries apply. k8s.gcr.io, the old home of the Kubernetes project's images, is denied
#   by default: it was frozen in April 2023, gets no new versions or security fixes, and is being
#   shut down; the same images live on registry.k8s.io. With the allowed parameter set, every
#   image must also come from one of the listed registries or repository prefixes. Registries are
#   read as the container runtime reads them: Docker Hub images (nginx, myorg/app) are from
#   docker.io, and a registry port (reg:5000/app) belongs to the registry.
# custom:
#   id: image-registry
#   severity: medium
#   profiles: [recommended]
#   pss: []
#   terrascan: []
#   fixable: true
#   kinds: [workloads]
#   reads: ["**.containers.*.name", "**.initContainers.*.name", "**.ephemeralContainers.*.name", "**.image"]
#   passes: >-
#     No container or init container image comes from a registry in the denied parameter
#     (default: k8s.gcr.io; exact registry names, port included). When the allowed parameter is
#     set (default: empty, no allow list), each image matches one of its entries: an entry
#     without / is a registry (ghcr.io, reg.example.com:5000), an entry with / a prefix of
#     registry/repository (ghcr.io/acme/, docker.io/library/). Images with an unrendered
#     placeholder ($(, ${, {{) are skipped.
#   fix: Replaces k8s.gcr.io with registry.k8s.io in the image, keeping its path, tag and digest.
package kubepolicy.rules.image_registry

import data.kubepolicy.lib

# denied is the denied parameter (registry names), ["k8s.gcr.io"] by default.
denied := {r | some r in regs; is_string(r)} if {
	regs := lib.param("image-registry", "denied", ["k8s.gcr.io"])
	is_array(regs)
} else := {"k8s.gcr.io"}

# allowed is the allowed parameter: registries, and registry/repository prefixes ending in /.
allowed := {prefix(a) | some a in lib.arr(lib.param("image-registry", "allowed", [])); is_string(a); a != ""}

prefix(a) := a if not contains(a, "/")

prefix(a) := a if endswith(a, "/")

prefix(a) := concat("", [a, "/"]) if {
	contains(a, "/")
	not endswith(a, "/")
}

containers contains [c, image, ref] if {
	some c in lib.containers
	c.type != "ephemeralContainers"
	image := c.container.image
	ref := lib.image_ref(image)
}

# (a) A denied registry.
violations contains v if {
	some [c, image, ref] in containers
	ref.registry in denied
	path := array.concat(c.path, ["image"])
	v := {
		"path": path,
		"message": sprintf("container %q uses image %q from the denied registry %s%s", [c.name, image, ref.registry, why(ref.registry)]),
		"fix": rename(path, image, ref.registry),
	}
}

# (b) Not in the allow list.
violations contains v if {
	count(allowed) > 0
	some [c, image, ref] in containers
	not ref.registry in denied
	not allowed_ref(ref)
	v := {
		"path": array.concat(c.path, ["image"]),
		"message": sprintf("container %q uses image %q from %s/%s, which no entry of the allowed list matches (%s)", [c.name, image, ref.registry, ref.repository, concat(", ", sort(allowed))]),
		"fix": [],
	}
}

allowed_ref(ref) if ref.registry in allowed

allowed_ref(ref) if {
	full := concat("/", [ref.registry, ref.repository, ""])
	some a in allowed
	endswith(a, "/")
	startswith(full, a)
}

why("k8s.gcr.io") := " (frozen since April 2023, with no new images or fixes): use registry.k8s.io"

why(registry) := "" if registry != "k8s.gcr.io"

# rename moves a k8s.gcr.io image to registry.k8s.io, which serves the same paths.
rename(path, image, registry) := [{"op": "set", "path": path, "value": concat("", ["registry.k8s.io", substring(image, count(registry), -1)])}] if {
	registry == "k8s.gcr.io"
	startswith(image, "k8s.gcr.io/")
} else := []
