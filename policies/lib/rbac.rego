# METADATA
# title: RBAC matching, as the Kubernetes authorizer does it
# description: >-
#   The one RBAC matcher of the rule pack (RULES-NEXT.md section 5). It reads every PolicyRule of
#   a Role or ClusterRole and every subject of a RoleBinding or ClusterRoleBinding, and answers
#   "does this PolicyRule grant verb v on resource r of group g" exactly as the authorizer does
#   (pkg/apis/rbac/v1/evaluation_helpers.go): exact, case-sensitive strings; "*" as the only
#   wildcard of verbs, apiGroups and resources; "*/sub" for one subresource of every resource, but
#   never "res/*"; resourceNames as literal names that never grant create, list or watch of
#   everything.
package kubepolicy.lib.rbac

import data.kubepolicy.lib

api_group := "rbac.authorization.k8s.io"

# Objects --------------------------------------------------------------------

# rbac_api: the object's apiVersion is rbac.authorization.k8s.io/<any version> (v1, and the
# deprecated v1beta1 and v1alpha1 alike). OpenShift's authorization.openshift.io roles are not RBAC
# objects here.
rbac_api if {
	is_string(input.apiVersion)
	startswith(input.apiVersion, concat("", [api_group, "/"]))
}

# aggregated: a ClusterRole whose rules the aggregation controller writes (its aggregationRule is
# an object); its own rules are overwritten, so they are not checked. Its parts are.
aggregated if {
	input.kind == "ClusterRole"
	is_object(input.aggregationRule)
}

# is_role: the object is a Role or ClusterRole whose rules are checked.
is_role if {
	input.kind in {"Role", "ClusterRole"}
	rbac_api
	not aggregated
}

is_cluster_role if {
	input.kind == "ClusterRole"
	is_role
}

is_binding if {
	input.kind in {"RoleBinding", "ClusterRoleBinding"}
	rbac_api
}

# rules: every PolicyRule of a checked role (the entries of `rules` that are objects, all of them,
# not only the first) as {"index", "path", "apiGroups", "resources", "verbs", "resourceNames",
# "nonResourceURLs"}. A field that is not a list counts as []; entries keep their indexes (for the
# ranges), and a non-string entry never matches anything.
rules contains r if {
	is_role
	some i, pr in lib.arr(input.rules)
	is_object(pr)
	r := {
		"index": i,
		"path": ["rules", i],
		"apiGroups": lib.arr(object.get(pr, "apiGroups", [])),
		"resources": lib.arr(object.get(pr, "resources", [])),
		"verbs": lib.arr(object.get(pr, "verbs", [])),
		"resourceNames": lib.arr(object.get(pr, "resourceNames", [])),
		"nonResourceURLs": lib.arr(object.get(pr, "nonResourceURLs", [])),
	}
}

# The strings of the resources, verbs and apiGroups lists over all the role's PolicyRules: a rule
# that needs "secrets" (or "*") in some PolicyRule's resources looks here first, and skips a role
# that cannot match with one lookup instead of matching every PolicyRule (mentions_resource,
# mentions_verb, mentions_group). A necessary condition only: the PolicyRule is matched after it.
resources_mentioned contains x if {
	some r in rules
	some x in r.resources
}

verbs_mentioned contains x if {
	some r in rules
	some x in r.verbs
}

groups_mentioned contains x if {
	some r in rules
	some x in r.apiGroups
}

# mentions_resource(names): some PolicyRule lists "*" or one of names (a set of strings, such as
# "secrets" or "pods/exec" and "*/exec") in its resources. Likewise for verbs and apiGroups.
mentions_resource(names) if {
	some x in resources_mentioned
	matches_name(x, names)
}

mentions_verb(names) if {
	some x in verbs_mentioned
	matches_name(x, names)
}

mentions_group(names) if {
	some x in groups_mentioned
	matches_name(x, names)
}

# full_wildcard: "*" in apiGroups, resources and verbs: every permission (rbac-full-wildcard).
full_wildcard(r) if {
	"*" in r.apiGroups
	"*" in r.resources
	"*" in r.verbs
}

# specific_rules: the PolicyRules that are not a full wildcard. rbac-full-wildcard supersedes every
# other RBAC rule for its PolicyRule (removing the wildcard is the fix for all of them), so the
# others read only these.
specific_rules contains r if {
	some r in rules
	not full_wildcard(r)
}

# Matching (RULES-NEXT.md section 5.3) ----------------------------------------

# verb is V(v): the PolicyRule grants verb v.
verb(r, _) if "*" in r.verbs

verb(r, v) if v in r.verbs

# group is G(g): the PolicyRule covers API group g ("" is the core group). Absent apiGroups
# match nothing.
group(r, _) if "*" in r.apiGroups

group(r, g) if g in r.apiGroups

# resource is R(res): the PolicyRule covers the resource res itself (no subresource). "*/x" does
# not: it names a subresource.
resource(r, _) if "*" in r.resources

resource(r, res) if res in r.resources

# subresource is S(res, sub): the PolicyRule covers res/sub: "*", "res/sub" or "*/sub". "res/*" is
# not a wildcard (the authorizer has no such case): it is a subresource literally named "*".
subresource(r, _, _) if "*" in r.resources

subresource(r, res, sub) if concat("/", [res, sub]) in r.resources

subresource(r, _, sub) if concat("/", ["*", sub]) in r.resources

# unnamed: no resourceNames (absent, null, [] or no string entry). A resourceNames list limits
# the PolicyRule to those objects, and never grants create, list, watch or deletecollection of
# everything; ["*"] is a literal name, not a wildcard.
unnamed(r) if {
	not named(r)
}

named(r) if {
	some n in r.resourceNames
	is_string(n)
}

# Ranges: the index of the first matching entry ---------------------------------

# verb_index is the index of the first entry of verbs that is "*" or one of vs (a set).
verb_index(r, vs) := min({k | some k, v in r.verbs; matches_name(v, vs)})

# resource_index is the index of the first entry of resources that is "*" or one of names (a set).
resource_index(r, names) := min({k | some k, x in r.resources; matches_name(x, names)})

# subresource_index is the index of the first entry of resources that covers one of the
# subresources in pairs (a set of [res, sub]): "*", "res/sub" or "*/sub".
subresource_index(r, pairs) := min({k | some k, x in r.resources; covers_subresource(x, pairs)})

matches_name("*", _)

matches_name(x, names) if x in names

covers_subresource("*", _)

covers_subresource(x, pairs) if {
	some p in pairs
	x in {concat("/", p), concat("/", ["*", p[1]])}
}

# Bindings -------------------------------------------------------------------

# role_ref is the binding's roleRef as {"apiGroup", "kind", "name"} ("" for a missing or odd field).
role_ref := {k: v |
	some k in ["apiGroup", "kind", "name"]
	v := string_field(lib.obj(input.roleRef), k)
}

# role_ref_cluster_role(name): roleRef names the ClusterRole name. The apiGroup may be left out
# (null or ""): the API server defaults it to rbac.authorization.k8s.io.
role_ref_cluster_role(name) if {
	is_binding
	role_ref.kind == "ClusterRole"
	role_ref.name == name
	role_ref.apiGroup in {"", api_group}
}

# subjects: every subject of a binding that is an object, as {"index", "path", "kind", "name",
# "namespace"} ("" for a missing or odd field). An empty list grants nothing.
subjects contains s if {
	is_binding
	some k, sub in lib.arr(input.subjects)
	is_object(sub)
	s := {
		"index": k,
		"path": ["subjects", k],
		"kind": string_field(sub, "kind"),
		"name": string_field(sub, "name"),
		"namespace": string_field(sub, "namespace"),
	}
}

# subject_text names a subject for a message: "ServiceAccount ns/name", "User name", "Group name".
subject_text(s) := sprintf("%s %s/%s", [s.kind, s.namespace, s.name]) if {
	s.kind == "ServiceAccount"
	s.namespace != ""
} else := sprintf("%s %s", [s.kind, s.name])

string_field(o, k) := o[k] if is_string(o[k])

else := ""

# Messages -------------------------------------------------------------------

# words joins a list of words as English: "a", "a and b", "a, b and c".
words(list) := list[0] if count(list) == 1

words(list) := concat(" and ", [concat(", ", array.slice(list, 0, count(list) - 1)), list[count(list) - 1]]) if {
	count(list) > 1
}

# verbs_text names the verbs a PolicyRule grants for a message: "all verbs" when verbs has "*",
# else the granted ones (a list, in the rule's order of interest).
verbs_text(r, granted) := "all verbs" if "*" in r.verbs

else := words(granted)
