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
image_ref(image) := ref if {
	is_string(image)
	image != ""
	not image_placeholder(image)
	at := indexof(image, "@")
	before := image_before(image, at)
	segs := split(before, "/")
	n := count(segs)
	tagged := image_split_tag(segs[n - 1])
	name := concat("/", array.concat(array.slice(segs, 0, n - 1), [tagged[0]]))
	parts := image_split_domain(array.slice(segs, 0, n - 1), tagged[0])
	ref := {
		"name": name,
		"registry": parts[0],
		"repository": parts[1],
		"tag": tagged[1],
		"digest": image_after(image, at),
	}
}

image_placeholder(image) if contains(image, "$(")

image_placeholder(image) if contains(image, "${")

image_placeholder(image) if contains(image, "{{")

image_before(image, at) := image if at < 0

image_before(image, at) := substring(image, 0, at) if at >= 0

image_after(_, at) := "" if at < 0

image_after(image, at) := substring(image, at + 1, -1) if at >= 0

# image_split_tag splits the last path segment into [segment without tag, tag].
image_split_tag(last) := [last, ""] if not contains(last, ":")

image_split_tag(last) := [substring(last, 0, i), substring(last, i + 1, -1)] if {
	contains(last, ":")
	parts := split(last, ":")
	i := (count(last) - count(parts[count(parts) - 1])) - 1
}

# image_split_domain returns [registry, repository] from the segments before the last one and the
# last segment without its tag.
image_split_domain(front, last) := [registry, repository] if {
	count(front) > 0
	image_is_domain(front[0])
	registry := image_docker_hub(front[0])
	repository := image_official(registry, concat("/", array.concat(array.slice(front, 1, count(front)), [last])))
} else := ["docker.io", image_official("docker.io", concat("/", array.concat(front, [last])))]

image_is_domain(seg) if contains(seg, ".")

image_is_domain(seg) if contains(seg, ":")

image_is_domain("localhost")

image_is_domain(seg) if lower(seg) != seg

image_docker_hub("index.docker.io") := "docker.io"

image_docker_hub(seg) := seg if seg != "index.docker.io"

# image_official adds Docker Hub's "library/" to a one-segment repository there.
image_official(registry, repository) := concat("/", ["library", repository]) if {
	registry == "docker.io"
	not contains(repository, "/")
} else := repository
