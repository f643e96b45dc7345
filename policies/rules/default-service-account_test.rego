package kubepolicy.rules.default_service_account_test

import data.kubepolicy.rules.default_service_account as rule

pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": object.union({"containers": [{"name": "web"}]}, spec)}

set_false(path) := [{"op": "set", "path": path, "value": false}]

# (a) pod specs -----------------------------------------------------------------

test_pod_without_service_account_fails_at_the_pod_spec_key if {
	rule.violations == {{
		"path": ["spec"],
		"message": "pod runs as the default service account with its API token mounted (no serviceAccountName, automountServiceAccountToken not set); use a dedicated service account or set automountServiceAccountToken: false",
		"fix": set_false(["spec", "automountServiceAccountToken"]),
	}} with input as pod({})
}

test_explicit_default_fails_at_service_account_name if {
	vs := rule.violations with input as pod({"serviceAccountName": "default", "automountServiceAccountToken": null})
	[v.path | some v in vs] == [["spec", "serviceAccountName"]]
	[v.fix | some v in vs] == [set_false(["spec", "automountServiceAccountToken"])]
}

test_explicit_true_fails_at_the_field if {
	rule.violations == {{
		"path": ["spec", "automountServiceAccountToken"],
		"message": "pod runs as the default service account with its API token mounted (automountServiceAccountToken: true); use a dedicated service account",
		"fix": set_false(["spec", "automountServiceAccountToken"]),
	}} with input as pod({"serviceAccountName": "default", "automountServiceAccountToken": true})
}

test_deprecated_service_account_default_fails_at_the_pod_spec_key if {
	vs := rule.violations with input as pod({"serviceAccount": "default"})
	[v.path | some v in vs] == [["spec"]]
	[v.message | some v in vs] == ["pod runs as the default service account with its API token mounted (serviceAccount: default, automountServiceAccountToken not set); use a dedicated service account or set automountServiceAccountToken: false"]
}

test_empty_service_account_name_is_default if {
	vs := rule.violations with input as pod({"serviceAccountName": ""})
	[v.path | some v in vs] == [["spec"]]
}

test_automount_false_passes if {
	count(rule.violations) == 0 with input as pod({"automountServiceAccountToken": false})
	count(rule.violations) == 0 with input as pod({"serviceAccountName": "default", "automountServiceAccountToken": false})
}

test_dedicated_service_account_passes if {
	count(rule.violations) == 0 with input as pod({"serviceAccountName": "web"})
	count(rule.violations) == 0 with input as pod({"serviceAccountName": "web", "automountServiceAccountToken": true})
	count(rule.violations) == 0 with input as pod({"serviceAccount": "legacy"})
}

# serviceAccountName wins over the deprecated field (D1), whichever says default.
test_service_account_name_wins if {
	count(rule.violations) == 0 with input as pod({"serviceAccountName": "web", "serviceAccount": "default"})
	vs := rule.violations with input as pod({"serviceAccountName": "default", "serviceAccount": "web"})
	[v.path | some v in vs] == [["spec", "serviceAccountName"]]
}

test_cronjob_nesting if {
	vs := rule.violations with input as {
		"apiVersion": "batch/v1",
		"kind": "CronJob",
		"metadata": {"name": "c"},
		"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "job"}]}}}}},
	}
	p := ["spec", "jobTemplate", "spec", "template", "spec"]
	[v.path | some v in vs] == [p]
	[v.fix | some v in vs] == [set_false(array.concat(p, ["automountServiceAccountToken"]))]
}

# (b) the default ServiceAccount --------------------------------------------------

sa(name, extra) := object.union({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": "shop"}}, extra)

test_default_service_account_without_the_field_fails_at_its_name if {
	rule.violations == {{
		"path": ["metadata", "name"],
		"message": "the default ServiceAccount of namespace \"shop\" lets every pod that names no service account mount its token (automountServiceAccountToken: not set)",
		"fix": set_false(["automountServiceAccountToken"]),
	}} with input as sa("default", {})
}

test_default_service_account_with_true_fails_at_the_field if {
	vs := rule.violations with input as sa("default", {"automountServiceAccountToken": true})
	[v.path | some v in vs] == [["automountServiceAccountToken"]]
	[v.message | some v in vs] == ["the default ServiceAccount of namespace \"shop\" lets every pod that names no service account mount its token (automountServiceAccountToken: true)"]
	[v.fix | some v in vs] == [set_false(["automountServiceAccountToken"])]
}

test_default_service_account_with_false_passes if {
	count(rule.violations) == 0 with input as sa("default", {"automountServiceAccountToken": false})
}

test_other_service_accounts_pass if {
	count(rule.violations) == 0 with input as sa("web", {})
	count(rule.violations) == 0 with input as {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {}}
	count(rule.violations) == 0 with input as object.union(sa("default", {}), {"apiVersion": "example.com/v1"})
}

# (c) bindings ----------------------------------------------------------------------

binding(kind, subjects) := {
	"apiVersion": "rbac.authorization.k8s.io/v1",
	"kind": kind,
	"metadata": {"name": "b"},
	"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
	"subjects": subjects,
}

test_binding_to_default_fails_at_the_subject_name if {
	rule.violations == {{
		"path": ["subjects", 1, "name"],
		"message": "RoleBinding grants ClusterRole \"view\" to the default service account of namespace \"shop\" (subjects[1]), and so to every pod of that namespace that names no service account",
		"fix": [],
	}} with input as binding("RoleBinding", [
		{"kind": "ServiceAccount", "name": "web", "namespace": "shop"},
		{"kind": "ServiceAccount", "name": "default", "namespace": "shop"},
	])
}

test_cluster_role_binding_to_default_in_any_namespace_fails if {
	vs := rule.violations with input as binding("ClusterRoleBinding", [
		{"kind": "ServiceAccount", "name": "default", "namespace": "kube-system"},
		{"kind": "ServiceAccount", "name": "default"},
	])
	{v.path | some v in vs} == {["subjects", 0, "name"], ["subjects", 1, "name"]}
}

# Terrascan's AC_K8S_0113 compares roleRef.kind to "role" and never matches: here any role counts.
test_binding_of_a_role_to_default_fails if {
	vs := rule.violations with input as object.union(
		binding("RoleBinding", [{"kind": "ServiceAccount", "name": "default"}]),
		{"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "pods-reader"}},
	)
	[v.message | some v in vs] == ["RoleBinding grants Role \"pods-reader\" to the default service account (subjects[0]), and so to every pod of that namespace that names no service account"]
}

test_bindings_to_other_subjects_pass if {
	count(rule.violations) == 0 with input as binding("RoleBinding", [
		{"kind": "ServiceAccount", "name": "web", "namespace": "shop"},
		{"kind": "User", "name": "default"},
		{"kind": "Group", "name": "default"},
	])
	count(rule.violations) == 0 with input as binding("RoleBinding", null)
	count(rule.violations) == 0 with input as object.union(
		binding("RoleBinding", [{"kind": "ServiceAccount", "name": "default"}]),
		{"apiVersion": "authorization.openshift.io/v1"},
	)
}
