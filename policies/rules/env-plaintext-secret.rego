# METADATA
# title: Environment variables must not hold plaintext credentials
# description: >-
#   A password, token or private key written into a manifest's env[].value is stored in Git, in
#   every rendered copy of the manifest and in the object the API server keeps, readable by
#   whoever can read the workload, which is many more people than can read its Secrets. An env
#   value is reported when it looks like a credential whatever its name (a PEM private key, an AWS
#   access key id, a GitHub, GitLab or Slack token, a JWT), or when its name says it is one
#   (PASSWORD, SECRET, TOKEN, API_KEY ... as a word, not SECRETS_DIR or a *_PASSWORD_FILE path) and
#   the value is written literally rather than referenced ($(VAR), ${VAR}, a template, a path).
#   Weak values such as "admin" or "changeme" are reported on purpose. Put the value in a Secret
#   and reference it with valueFrom.secretKeyRef or a volume.
# custom:
#   id: env-plaintext-secret
#   severity: high
#   profiles: [recommended]
#   pss: []
#   terrascan: []
#   fixable: false
#   kinds: [workloads]
#   reads: ["**.containers.*.name", "**.initContainers.*.name", "**.ephemeralContainers.*.name", "**.env"]
#   passes: >-
#     Every env entry with a sensitive name takes its value from valueFrom (secretKeyRef,
#     configMapKeyRef, ...) or has a value that is empty, a $(VAR) or ${VAR} reference, a template,
#     a file path, a boolean or a <placeholder>; no env value contains a credential pattern. The
#     extraSensitiveWords and extraSafeSuffixes parameters extend the name word lists.
#   fix: None; moving the value to a Secret needs a new object.
package kubepolicy.rules.env_plaintext_secret

import data.kubepolicy.lib

extra_words := lib.arr(lib.param("env-plaintext-secret", "extraSensitiveWords", []))

extra_suffixes := lib.arr(lib.param("env-plaintext-secret", "extraSafeSuffixes", []))

violations contains v if {
	some c in lib.containers
	some j, e in lib.arr(c.container.env)
	is_object(e)
	object.get(e, "valueFrom", null) == null
	value := e.value
	is_string(value)
	name := object.get(e, "name", null)
	problem := plaintext(name, value)
	v := {
		"path": array.concat(c.path, ["env", j, "value"]),
		"message": sprintf("container %q env var %s %s (env[%d].value): put it in a Secret and use valueFrom.secretKeyRef", [c.name, name_text(name), problem, j]),
		"fix": [],
	}
}

plaintext(name, value) := sprintf("holds %s in plain text", [p]) if {
	p := lib.secret_pattern(value)
} else := "is a credential set to a literal value" if {
	lib.sensitive_name_extended(name, extra_words, extra_suffixes)
	lib.literal_secret(value, name)
}

name_text(n) := sprintf("%q", [n]) if is_string(n)

else := "?"
