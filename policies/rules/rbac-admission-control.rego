# METADATA
# title: ClusterRoles should not write admission webhooks or policies
# description: >-
#   Mutating and validating webhook configurations and admission policies decide what every
#   request to the API server may contain. Whoever can create, update, patch or delete them can
#   switch off every admission check (Pod Security Admission excepted), or register a webhook that
#   rewrites every pod, reads every Secret sent through it, or blocks the cluster. Webhook and
#   policy controllers (cert-manager, Istio, Gatekeeper) patch their own configurations, so pin
#   them with resourceNames where the controller allows it, or record the reason in a suppression.
#   These resources are cluster-scoped, so only ClusterRoles can grant them.
# custom:
#   id: rbac-admission-control
#   severity: medium
#   profiles: [all]
#   pss: []
#   terrascan: []
#   fixable: false
#   kinds: [ClusterRole]
#   reads: [metadata, rules, aggregationRule, roleRef, subjects]
#   passes: >-
#     No ClusterRole PolicyRule grants create, update, patch, delete or deletecollection on
#     admissionregistration.k8s.io webhook configurations or admission policies without
#     resourceNames.
#   fix: >-
#     None (suppress only): name the configurations in resourceNames, or narrow the verbs.
package kubepolicy.rules.rbac_admission_control

import data.kubepolicy.lib.rbac

write_verbs := ["create", "update", "patch", "delete", "deletecollection"]

# The admissionregistration.k8s.io resources, by what they configure.
webhooks := ["mutatingwebhookconfigurations", "validatingwebhookconfigurations"]

policies := [
	"validatingadmissionpolicies", "validatingadmissionpolicybindings",
	"mutatingadmissionpolicies", "mutatingadmissionpolicybindings",
]

violations contains v if {
	rbac.is_cluster_role
	rbac.mentions_group({"admissionregistration.k8s.io"})
	some r in rbac.specific_rules
	rbac.group(r, "admissionregistration.k8s.io")
	resources := [x | some x in array.concat(webhooks, policies); rbac.resource(r, x)]
	count(resources) > 0
	rbac.unnamed(r)
	granted := [x | some x in write_verbs; rbac.verb(r, x)]
	count(granted) > 0
	what := [w | some w in ["admission webhooks", "admission policies"]; covers(w, resources)]
	v := {
		"path": array.concat(r.path, ["resources", rbac.resource_index(r, {x | some x in resources})]),
		"message": sprintf("rules[%d] grants %s on %s: its subjects can rewrite or switch off %s", [r.index, rbac.verbs_text(r, granted), resources_text(r, resources), rbac.words(what)]),
		"fix": [],
	}
}

covers("admission webhooks", resources) if {
	some x in webhooks
	x in resources
}

covers("admission policies", resources) if {
	some x in policies
	x in resources
}

resources_text(r, resources) := "every admissionregistration.k8s.io resource" if "*" in r.resources

else := rbac.words(resources)
