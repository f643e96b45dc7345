# METADATA
# title: Roles should not use wildcards
# description: >-
#   A wildcard in a Role or ClusterRole ("*" in verbs, apiGroups or resources, a "*/<subresource>"
#   resource, or a nonResourceURL ending in "*") grants today's permissions and every one added
#   later: a new verb, a new custom resource, a new subresource. CIS Kubernetes Benchmark 5.1.3
#   asks for explicit lists. Only the authorizer's real wildcards count: "pods/*" and "*/*" are
#   literal names that match nothing, and resourceNames ["*"] is a literal name. A PolicyRule that
#   rbac-full-wildcard reports is not reported again here.
# custom:
#   id: rbac-wildcard
#   severity: low
#   profiles: [all]
#   pss: []
#   terrascan: []
#   fixable: false
#   kinds: [Role, ClusterRole]
#   reads: [metadata, rules, aggregationRule, roleRef, subjects]
#   passes: >-
#     Every PolicyRule lists its verbs, API groups, resources and non-resource URLs explicitly.
#   fix: >-
#     None (suppress only): replace the wildcard with the entries the workload needs.
package kubepolicy.rules.rbac_wildcard

import data.kubepolicy.lib.rbac

# The lists in the order the first wildcard is looked for, with the entries that are wildcards.
lists := ["resources", "verbs", "apiGroups", "nonResourceURLs"]

violations contains v if {
	some r in rbac.specific_rules
	found := [[name, k, x] |
		some name in lists
		some k, x in r[name]
		wildcard(name, x)
	]
	count(found) > 0
	first := found[0]
	names := [name | some name in lists; has_wildcard(r, name)]
	v := {
		"path": array.concat(r.path, [first[0], first[1]]),
		"message": sprintf("rules[%d] has a wildcard in %s (%s): it grants whatever is added later too", [r.index, rbac.words(names), entries(found)]),
		"fix": [],
	}
}

has_wildcard(r, name) if {
	some x in r[name]
	wildcard(name, x)
}

wildcard("resources", "*")

# "*/sub" is every resource's subresource sub. "*/*" is not a wildcard: it names a subresource
# literally called "*", which no resource has (checkov PR #2938).
wildcard("resources", x) if {
	is_string(x)
	startswith(x, "*/")
	x != "*/*"
}

wildcard("verbs", "*")

wildcard("apiGroups", "*")

wildcard("nonResourceURLs", x) if {
	is_string(x)
	endswith(x, "*")
}

entries(found) := concat(", ", [sprintf("%s[%d] %q", [f[0], f[1], f[2]]) | some f in found])
