# METADATA
# title: Containers should pull their image every time they start
# description: >-
#   With imagePullPolicy IfNotPresent or Never, a node starts whatever image it has cached under
#   the tag, without asking the registry: a tag that was re-pushed (a fixed vulnerability, a
#   rebuilt base) runs in its old version on some nodes and its new one on others, and a pod can
#   use an image cached on the node for another tenant without having the pull secret for it.
#   Always makes the kubelet resolve the tag on every start (the layers stay cached). The
#   default policy is modelled as Kubernetes applies it: Always for an untagged or :latest image,
#   IfNotPresent for any other tag. An image pinned by digest cannot change, so it passes.
# custom:
#   id: image-pull-policy
#   severity: low
#   profiles: [all]
#   pss: []
#   terrascan: [AC_K8S_0021]
#   fixable: true
#   kinds: [workloads]
#   reads: ["**.containers.*.name", "**.initContainers.*.name", "**.ephemeralContainers.*.name", "**.image", "**.imagePullPolicy"]
#   passes: >-
#     Every container and init container either has an image pinned by digest (@...), or pulls
#     it Always: imagePullPolicy: Always, or no imagePullPolicy with an untagged or :latest image
#     (which Kubernetes defaults to Always). Images with an unrendered placeholder ($(, ${, {{)
#     are skipped.
#   fix: Sets the container's imagePullPolicy to Always.
package kubepolicy.rules.image_pull_policy

import data.kubepolicy.lib

violations contains v if {
	some c in lib.containers
	c.type != "ephemeralContainers"
	ref := lib.image_ref(c.container.image)
	ref.digest == ""
	policy := effective_policy(c.container, ref)
	policy != "Always"
	field := array.concat(c.path, ["imagePullPolicy"])
	v := {
		"path": range_path(c, field),
		"message": sprintf("container %q %s for the image tag %q: a node reuses whatever it cached under that tag", [c.name, reason(c.container, policy), tag(ref)]),
		"fix": [{"op": "set", "path": field, "value": "Always"}],
	}
}

# explicit is the container's imagePullPolicy when it is a non-empty string.
explicit(container) := p if {
	p := container.imagePullPolicy
	is_string(p)
	p != ""
}

# effective_policy is the explicit policy, else the API server's default for the tag.
effective_policy(container, _) := explicit(container)

effective_policy(container, ref) := "Always" if {
	not explicit(container)
	ref.tag in {"", "latest"}
}

effective_policy(container, ref) := "IfNotPresent" if {
	not explicit(container)
	not ref.tag in {"", "latest"}
}

reason(container, policy) := sprintf("has imagePullPolicy %s", [policy]) if explicit(container)

reason(container, policy) := sprintf("has no imagePullPolicy, which defaults to %s", [policy]) if not explicit(container)

tag(ref) := ref.tag if ref.tag != ""

else := "latest"

# The field when it is written, else the container's entry.
range_path(c, field) := field if "imagePullPolicy" in object.keys(c.container)

range_path(c, _) := c.path if not "imagePullPolicy" in object.keys(c.container)
