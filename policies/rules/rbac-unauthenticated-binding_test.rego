package kubepolicy.rules.rbac_unauthenticated_binding_test

import data.kubepolicy.rules.rbac_unauthenticated_binding as rule

binding(kind, ref, subjects) := {
	"apiVersion": "rbac.authorization.k8s.io/v1",
	"kind": kind,
	"metadata": {"name": "b"},
	"roleRef": ref,
	"subjects": subjects,
}

viewer := {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"}

anonymous := {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "system:anonymous"}

test_anonymous_fails if {
	rule.violations == {{
		"path": ["subjects", 1, "name"],
		"message": "ClusterRoleBinding grants ClusterRole \"view\" to User system:anonymous (every unauthenticated request)",
		"fix": [],
	}} with input as binding("ClusterRoleBinding", viewer, [{"kind": "User", "name": "jane"}, anonymous])
}

test_each_everyone_subject_fails if {
	vs := rule.violations with input as binding("RoleBinding", {"kind": "Role", "name": "reader"}, [
		{"kind": "Group", "name": "system:unauthenticated"},
		{"kind": "Group", "name": "system:authenticated"},
	])
	vs == {
		{
			"path": ["subjects", 0, "name"],
			"message": "RoleBinding grants Role \"reader\" to Group system:unauthenticated (every unauthenticated request)",
			"fix": [],
		},
		{
			"path": ["subjects", 1, "name"],
			"message": "RoleBinding grants Role \"reader\" to Group system:authenticated (every authenticated user and service account)",
			"fix": [],
		},
	}
}

# The upstream default bindings of the discovery roles pass; a Role of the same name does not.
test_upstream_discovery_bindings_pass if {
	every name in ["system:public-info-viewer", "system:discovery", "system:basic-user"] {
		count(rule.violations) == 0 with input as binding("ClusterRoleBinding", {"kind": "ClusterRole", "name": name}, [
			{"kind": "Group", "name": "system:authenticated"},
			{"kind": "Group", "name": "system:unauthenticated"},
		])
	}
	count(rule.violations) == 1 with input as binding("RoleBinding", {"kind": "Role", "name": "system:discovery"}, [anonymous])
}

# The subject kind matters (a User named system:authenticated is nobody in particular), names are
# exact, and no subjects grant nothing.
test_other_subjects_pass if {
	count(rule.violations) == 0 with input as binding("ClusterRoleBinding", viewer, [
		{"kind": "User", "name": "system:authenticated"},
		{"kind": "Group", "name": "system:anonymous"},
		{"kind": "ServiceAccount", "name": "system:unauthenticated", "namespace": "x"},
		{"kind": "Group", "name": "System:Authenticated"},
		{"kind": "Group", "name": "system:serviceaccounts"},
		"system:anonymous",
	])
	count(rule.violations) == 0 with input as binding("ClusterRoleBinding", viewer, [])
	count(rule.violations) == 0 with input as object.union(binding("ClusterRoleBinding", viewer, [anonymous]), {"apiVersion": "authorization.openshift.io/v1"})
}
