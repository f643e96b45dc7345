# METADATA
# title: Container images should be pinned by digest
# description: >-
#   A tag is a movable name: whoever can push to the repository, or compromise it, can point
#   v1.2.3 at other code, and every node that pulls afterwards runs it. Only a digest
#   (@sha256:...) names exactly one image, so the manifest says what runs and a tampered image
#   fails to pull. Pinning every image is a policy choice with a cost (a tool such as Renovate
#   keeps digests current), which is why this rule is in the all profile only. An image on a
#   floating tag is reported by image-latest-tag instead: one problem, one diagnostic.
# custom:
#   id: image-digest
#   severity: low
#   profiles: [all]
#   pss: []
#   terrascan: [AC_K8S_0069]
#   fixable: false
#   kinds: [workloads]
#   reads: ["**.containers.*.name", "**.initContainers.*.name", "**.ephemeralContainers.*.name", "**.image"]
#   passes: >-
#     Every container and init container image ends with a well-formed digest: @sha256: and 64
#     lowercase hex digits, or @sha512: and 128 (a tag may stand before it, as in
#     app:1.2@sha256:...). Images with an unrendered placeholder ($(, ${, {{) are skipped.
#   fix: "None: look up the digest of the tag (crane digest, docker buildx imagetools inspect) and append it, or suppress the finding with a reason."
package kubepolicy.rules.image_digest

import data.kubepolicy.lib

violations contains v if {
	some c in lib.containers
	c.type != "ephemeralContainers"
	ref := lib.image_ref(c.container.image)
	not valid_digest(ref.digest)
	v := {
		"path": array.concat(c.path, ["image"]),
		"message": sprintf("container %q uses an image %s", [c.name, problem(ref.digest)]),
		"fix": [],
	}
}

# valid_digest: a sha256 or sha512 digest in its canonical lowercase hex form.
valid_digest(digest) if regex.match(`^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$`, digest)

problem("") := "without a digest: pin it with @sha256:..."

problem(digest) := sprintf("with the malformed digest %q: want sha256: and 64 lowercase hex digits, or sha512: and 128", [digest]) if digest != ""
