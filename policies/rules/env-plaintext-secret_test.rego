package kubepolicy.rules.env_plaintext_secret_test

import data.kubepolicy.rules.env_plaintext_secret as rule

pod(env) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "db", "env": env}]}}

paths(env) := ps if {
	ps := {v.path | some v in rule.violations} with input as pod(env)
}

test_sensitive_name_with_literal_fails if {
	rule.violations == {{
		"path": ["spec", "containers", 0, "env", 1, "value"],
		"message": "container \"db\" env var \"MYSQL_ROOT_PASSWORD\" is a credential set to a literal value (env[1].value): put it in a Secret and use valueFrom.secretKeyRef",
		"fix": [],
	}} with input as pod([{"name": "MYSQL_DATABASE", "value": "app"}, {"name": "MYSQL_ROOT_PASSWORD", "value": "supersecret"}])
}

# Weak literals are what the rule is for, and a placeholder is deployed as written.
test_weak_literals_fail if {
	count(paths([
		{"name": "MYSQL_DB_PASSWORD", "value": "password"},
		{"name": "GF_SECURITY_ADMIN_PASSWORD", "value": "admin"},
		{"name": "OAUTH2_PROXY_COOKIE_SECRET", "value": "SECRET"},
		{"name": "MINIO_SECRET_KEY", "value": "minio123"},
		{"name": "clientSecret", "value": "changeme"},
	])) == 5
}

test_credential_pattern_fails_whatever_the_name if {
	rule.violations == {{
		"path": ["spec", "containers", 0, "env", 0, "value"],
		"message": "container \"db\" env var \"BOOTSTRAP\" holds a GitHub token in plain text (env[0].value): put it in a Secret and use valueFrom.secretKeyRef",
		"fix": [],
	}} with input as pod([{"name": "BOOTSTRAP", "value": "ghp_0123456789abcdefghijABCDEFGHIJ012345"}])
}

# The false positives of section 2.6: kube-linter#1198 (SECRETS_DIR), regolibrary#697 and #563
# (paths and _FILE), polaris#1046 ($(VAR)), kube-linter#72 (secretKeyRef), configMapKeyRef.
test_false_positive_traps_pass if {
	paths([
		{"name": "SECRETS_DIR", "value": "/etc/secrets"},
		{"name": "SECRETS_DIR", "value": "secrets"},
		{"name": "METALLB_ML_SECRET_KEY_PATH", "value": "/etc/ml_secret_key"},
		{"name": "MARIADB_ROOT_PASSWORD_FILE", "value": "/run/secrets/mariadb-root-password"},
		{"name": "GITLAB_TOKEN", "value": "$(GITLAB_PRIVATE_TOKEN)"},
		{"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
		{"name": "DB_PASSWORD", "valueFrom": {"configMapKeyRef": {"name": "db", "key": "password"}}},
		{"name": "GOOGLE_APPLICATION_CREDENTIALS", "value": "/var/secrets/google/key.json"},
		{"name": "AWS_ACCESS_KEY_ID", "value": "minio"},
		{"name": "SECRET_NAME", "value": "db-credentials"},
		{"name": "TOKEN_TTL", "value": "3600"},
		{"name": "PROJECT_KEY", "value": "abc"},
		{"name": "PWD", "value": "app"},
		{"name": "API_TOKEN", "value": "${API_TOKEN}"},
		{"name": "API_TOKEN", "value": "{{ .Values.token }}"},
		{"name": "API_TOKEN", "value": "<your token>"},
		{"name": "API_TOKEN", "value": ""},
		{"name": "API_TOKEN"},
		{"name": "PASSWORD_ENABLED", "value": "true"},
		{"name": "REQUIRE_PASSWORD", "value": "false"},
		{"name": "GOOGLE_API_KEY", "value": "GOOGLE_API_KEY_VAL"},
	]) == set()
}

test_value_from_entries_are_never_checked if {
	paths([{"name": "T", "value": "ghp_0123456789abcdefghijABCDEFGHIJ012345", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]) == set()
}

test_every_container_list_fails if {
	vs := rule.violations with input as {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": {"template": {"spec": {
		"initContainers": [{"name": "init", "env": [{"name": "DB_PASS", "value": "x1"}]}],
		"containers": [{"name": "app", "env": ["junk", {"name": 7, "value": "AKIAIOSFODNN7EXAMPLE"}, {"value": "AKIAIOSFODNN7EXAMPLE"}]}],
		"ephemeralContainers": [{"name": "debug", "env": [{"name": "API_KEY", "value": "k"}]}],
	}}}}
	{v.path | some v in vs} == {
		["spec", "template", "spec", "initContainers", 0, "env", 0, "value"],
		["spec", "template", "spec", "containers", 0, "env", 1, "value"],
		["spec", "template", "spec", "containers", 0, "env", 2, "value"],
		["spec", "template", "spec", "ephemeralContainers", 0, "env", 0, "value"],
	}
}

test_extra_words_and_suffixes_params if {
	cfg := {"rules": {"env-plaintext-secret": {"params": {"extraSensitiveWords": ["PIN"], "extraSafeSuffixes": ["CIPHER"]}}}}
	env := [{"name": "CARD_PIN", "value": "1234"}, {"name": "DB_PASSWORD_CIPHER", "value": "aes"}]
	{v.path | some v in rule.violations} == {["spec", "containers", 0, "env", 0, "value"]} with input as pod(env) with data.kubepolicy.config as cfg
	paths(env) == {["spec", "containers", 0, "env", 1, "value"]}
}
