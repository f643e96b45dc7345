package kubepolicy.rules.env_secret_ref_test

import data.kubepolicy.rules.env_secret_ref as rule

pod(containers) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": containers}}

test_secret_key_ref_fails if {
	rule.violations == {{
		"path": ["spec", "containers", 0, "env", 1, "valueFrom", "secretKeyRef"],
		"message": "container \"web\" reads key \"password\" of Secret \"db\" into env var \"DB_PASSWORD\" (env[1].valueFrom.secretKeyRef): mount the Secret as a file instead",
		"fix": [],
	}} with input as pod([{"name": "web", "env": [
		{"name": "MODE", "value": "prod"},
		{"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
	]}])
}

test_env_from_secret_ref_fails if {
	rule.violations == {{
		"path": ["spec", "containers", 0, "envFrom", 1, "secretRef"],
		"message": "container \"web\" imports every key of Secret \"db\" as env vars (envFrom[1].secretRef): mount the Secret as a file instead",
		"fix": [],
	}} with input as pod([{"name": "web", "envFrom": [{"configMapRef": {"name": "settings"}}, {"secretRef": {"name": "db"}, "prefix": "DB_"}]}])
}

# Terrascan AC_K8S_0051 flags any valueFrom (terrascan#1374): none of these is a Secret.
test_other_value_sources_pass if {
	count(rule.violations) == 0 with input as pod([{"name": "web", "env": [
		{"name": "LOG_LEVEL", "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "level"}}},
		{"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
		{"name": "MEM", "valueFrom": {"resourceFieldRef": {"resource": "limits.memory"}}},
		{"name": "SECRET_NAME", "value": "db"},
		{"name": "X", "valueFrom": {"secretKeyRef": null}},
		"junk",
	]}])
}

test_init_ephemeral_and_cronjob_containers_fail if {
	vs := rule.violations with input as {
		"apiVersion": "batch/v1",
		"kind": "CronJob",
		"metadata": {"name": "c"},
		"spec": {"jobTemplate": {"spec": {"template": {"spec": {
			"initContainers": [{"name": "init", "envFrom": [{"secretRef": {"name": "s"}}]}],
			"containers": [{"name": "job", "env": [{"name": "T", "valueFrom": {"secretKeyRef": {"name": "s", "key": "t"}}}]}],
			"ephemeralContainers": [{"name": "debug", "envFrom": [{"secretRef": {}}]}],
		}}}}},
	}
	{v.path | some v in vs} == {
		["spec", "jobTemplate", "spec", "template", "spec", "initContainers", 0, "envFrom", 0, "secretRef"],
		["spec", "jobTemplate", "spec", "template", "spec", "containers", 0, "env", 0, "valueFrom", "secretKeyRef"],
		["spec", "jobTemplate", "spec", "template", "spec", "ephemeralContainers", 0, "envFrom", 0, "secretRef"],
	}
	some v in vs
	v.message == "container \"debug\" imports every key of Secret ? as env vars (envFrom[0].secretRef): mount the Secret as a file instead"
}
