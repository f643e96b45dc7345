# METADATA
# title: Container images must have a fixed tag or a digest
# description: >-
#   An image without a tag is pulled as :latest, and :latest (or another floating tag) names
#   whatever was pushed last. The same manifest then runs different code on different nodes and
#   after every reschedule, a rollback does not roll back, and nobody can tell from the manifest
#   which build is running or whether it has a known vulnerability. Pin a version tag, or better
#   a digest. The reference is parsed as the registry does it, so a registry port is not a tag
#   (reg:5000/app is untagged) and any @digest pins the image, whatever its tag.
# custom:
#   id: image-latest-tag
#   severity: medium
#   profiles: [recommended]
#   pss: []
#   terrascan: [AC_K8S_0068]
#   fixable: false
#   kinds: [workloads]
#   reads: ["**.containers.*.name", "**.initContainers.*.name", "**.ephemeralContainers.*.name", "**.image"]
#   supersedes: [image-digest]
#   passes: >-
#     Every container and init container image has a digest (@sha256:...), or a tag that is not
#     in the floatingTags parameter (default: latest; exact, case-sensitive). Images named in the
#     ignore parameter as written without tag and digest (e.g. ghcr.io/acme/app, for a Kustomize
#     images: transformer that sets the tag) and images with an unrendered placeholder ($(, ${,
#     {{) are skipped.
#   fix: "None: set a version tag or a digest, or suppress the finding with a reason."
package kubepolicy.rules.image_latest_tag

import data.kubepolicy.lib

# floating_tags is the floatingTags parameter (a list of strings), ["latest"] by default.
floating_tags := {t | some t in tags; is_string(t)} if {
	tags := lib.param("image-latest-tag", "floatingTags", ["latest"])
	is_array(tags)
} else := {"latest"}

# ignored are the image names (as written, without tag and digest) of the ignore parameter.
ignored := {n | some n in lib.arr(lib.param("image-latest-tag", "ignore", [])); is_string(n)}

violations contains v if {
	some c in lib.containers
	c.type != "ephemeralContainers"
	ref := lib.image_ref(c.container.image)
	ref.digest == ""
	not ref.name in ignored
	problem := floating(ref)
	v := {
		"path": array.concat(c.path, ["image"]),
		"message": sprintf("container %q uses an image %s: pin a version tag or a digest", [c.name, problem]),
		"fix": [],
	}
}

floating(ref) := "without a tag, which pulls :latest" if ref.tag == ""

floating(ref) := sprintf("with the floating tag %q", [ref.tag]) if {
	ref.tag != ""
	ref.tag in floating_tags
}
