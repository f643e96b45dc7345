package kubepolicy.rules.env_duplicate_name_test

import data.kubepolicy.rules.env_duplicate_name as rule

pod(env) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "web", "env": env}]}}

env_path(i) := ["spec", "containers", 0, "env", i]

remove(is) := [{"op": "remove", "path": env_path(i)} | some i in is]

test_duplicate_fails_at_the_hidden_entry if {
	rule.violations == {{
		"path": array.concat(env_path(0), ["name"]),
		"message": "container \"web\" defines env var LOG_LEVEL more than once: a later entry hides this one, as Kubernetes uses the last",
		"fix": remove([0]),
	}} with input as pod([
		{"name": "LOG_LEVEL", "value": "info"},
		{"name": "PORT", "value": "8080"},
		{"name": "LOG_LEVEL", "value": "debug"},
	])
}

test_unique_names_pass if {
	count(rule.violations) == 0 with input as pod([{"name": "A", "value": "1"}, {"name": "B", "value": "1"}, {"name": "a", "value": "1"}])
	count(rule.violations) == 0 with input as pod([])
	count(rule.violations) == 0 with input as pod(null)
}

test_every_hidden_entry_is_reported_and_the_fix_removes_all_highest_first if {
	vs := rule.violations with input as pod([
		{"name": "A", "value": "1"},
		{"name": "A", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
		{"name": "B", "value": "x"},
		{"name": "A", "value": "3"},
	])
	{v.path | some v in vs} == {array.concat(env_path(0), ["name"]), array.concat(env_path(1), ["name"])}
	{v.fix | some v in vs} == {remove([1, 0])}
	{v.message | some v in vs} == {"container \"web\" defines env var A more than once: a later entry hides this one, as Kubernetes uses the last"}
}

# PATH=$(PATH):/extra expands with the hidden value: reported, but not fixed.
test_self_reference_is_reported_without_a_fix if {
	vs := rule.violations with input as pod([{"name": "PATH", "value": "/bin"}, {"name": "PATH", "value": "$(PATH):/extra"}])
	[v.path | some v in vs] == [array.concat(env_path(0), ["name"])]
	[v.fix | some v in vs] == [[]]
}

# Another variable defined in between also sees the hidden value.
test_reference_in_between_is_not_fixed if {
	vs := rule.violations with input as pod([
		{"name": "HOST", "value": "a"},
		{"name": "URL", "value": "http://$(HOST)/"},
		{"name": "HOST", "value": "b"},
	])
	[v.fix | some v in vs] == [[]]
}

# A reference after the last definition sees the last value: the hidden entry can go.
test_reference_after_the_last_definition_is_fixed if {
	vs := rule.violations with input as pod([
		{"name": "HOST", "value": "a"},
		{"name": "HOST", "value": "b"},
		{"name": "URL", "value": "http://$(HOST)/"},
	])
	[v.fix | some v in vs] == [remove([0])]
}

# Only the hidden entries before a self-reference are kept: A=1, A=$(A)x, A=2 makes entry 1 safe
# to remove (A=2 hides it and refers to nothing), entry 0 not (entry 1 expands it).
test_fix_takes_only_the_safe_entries if {
	vs := rule.violations with input as pod([
		{"name": "A", "value": "1"},
		{"name": "A", "value": "$(A)x"},
		{"name": "A", "value": "2"},
	])
	{[v.path[4], v.fix] | some v in vs} == {[0, []], [1, remove([1])]}
}

test_init_and_ephemeral_containers if {
	vs := rule.violations with input as {
		"apiVersion": "apps/v1",
		"kind": "Deployment",
		"metadata": {"name": "d"},
		"spec": {"template": {"spec": {
			"containers": [{"name": "web"}],
			"initContainers": [{"name": "init", "env": [{"name": "X"}, {"name": "X", "value": ""}]}],
			"ephemeralContainers": [{"name": "debug", "env": [{"name": "Y", "value": "1"}, {"name": "Y", "value": "2"}]}],
		}}},
	}
	{v.path | some v in vs} == {
		["spec", "template", "spec", "initContainers", 0, "env", 0, "name"],
		["spec", "template", "spec", "ephemeralContainers", 0, "env", 0, "name"],
	}
}

test_odd_entries_do_not_error if {
	vs := rule.violations with input as pod(["A", {"value": "1"}, {"name": 7}, {"name": 7}, {"name": "A"}, null, {"name": "A", "value": 3}])
	[v.path | some v in vs] == [array.concat(env_path(4), ["name"])]
}
