# Container image references (RULES-NEXT.md D2), for the image rules. Part of package
# kubepolicy.lib, described in kubernetes.rego.
package kubepolicy.lib

# image_ref parses a container image reference (RULES-NEXT.md D2):
#
#   name        the reference as written without tag and digest ("ghcr.io/acme/app", "nginx")
#   registry    the first segment when the name has more than one segment and the first one
#               contains "." or ":", is "localhost" or has an uppercase letter (distribution's
#               splitDockerDomain); otherwise "docker.io". "index.docker.io" is docker.io.
#   repository  the other segments without the tag; a one-segment Docker Hub name gets "library/"
#   tag         the text after the last ":" of the last segment, or ""
#   digest      the text after the first "@", or ""
#
# So "reg:5000/app" has registry "reg:5000", repository "app" and no tag: the port is not a tag.
# Undefined when the image is absent, not a string or "" (a controller may default it), or holds
# an unrendered placeholder ("$(", "${", "{{"): image rules skip such a container.
image_ref(image) := {"name": m[1], "registry": d[0], "repository": d[1], "tag": m[2], "digest": m[3]} if {
	is_string(image)
	not regex.match(`^$|\$\(|\$\{|\{\{`, image)

	# name (lazy, so that the tag is the text after the last ":" of the last segment), tag, digest.
	m := regex.find_all_string_submatch_n(`^([^@]*?)(?::([^:/@]*))?(?:@(.*))?$`, image, 1)[0]
	d := image_domain(m[1])
}

# image_domain splits a name into [registry, repository]: the first segment is the registry when
# another segment follows and it contains "." or ":", has an uppercase letter, or is localhost.
image_domain(name) := [registry, image_official(registry, p[2])] if {
	p := regex.find_all_string_submatch_n(`^([^/]*[.:\p{Lu}][^/]*|localhost)/(.*)$`, name, 1)[0]
	registry := image_docker_hub(p[1])
} else := ["docker.io", image_official("docker.io", name)]

image_docker_hub(registry) := "docker.io" if registry == "index.docker.io"

else := registry

# image_official adds Docker Hub's "library/" to a one-segment repository there.
image_official(registry, repository) := concat("/", ["library", repository]) if {
	registry == "docker.io"
	not contains(repository, "/")
} else := repository
