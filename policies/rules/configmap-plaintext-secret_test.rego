package kubepolicy.rules.configmap_plaintext_secret_test

import data.kubepolicy.rules.configmap_plaintext_secret as rule

configmap(d) := {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "app"}, "data": d}

messages(d) := ms if {
	ms := {v.path[1]: v.message | some v in rule.violations} with input as configmap(d)
}

# (a) A credential pattern, whatever the key.
test_credential_pattern_fails if {
	rule.violations == {{
		"path": ["data", "tls.key"],
		"message": "ConfigMap \"app\" key \"tls.key\" holds a PEM private key in plain text: move it to a Secret",
		"fix": [],
	}} with input as configmap({"tls.key": "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n", "ca.crt": "-----BEGIN CERTIFICATE-----\n"})
}

# (b) A sensitive key with a literal one-line value.
test_sensitive_key_fails if {
	messages({"DB_PASSWORD": "hunter2\n", "DB_HOST": "db"}) == {"DB_PASSWORD": "ConfigMap \"app\" key \"DB_PASSWORD\" is a credential set to a literal value: move it to a Secret"}
}

test_sensitive_key_traps_pass if {
	messages({
		"password": "line one\nline two\n",
		"SECRETS_DIR": "secrets",
		"DB_PASSWORD_FILE": "pw.txt",
		"DB_PASSWORD": "$(DB_PASSWORD_FROM_SECRET)",
		"API_TOKEN": "${TOKEN}",
		"SECRET_KEY_ID": "abc",
		"admin_email": "admin@example.com",
		"PROJECT_KEY": "KEY-1",
		"JWT_GCP_TOKEN_URL": "https://oauth2.googleapis.com/token",
		"token": "",
	}) == {}
}

# (c) A line of an embedded file: properties, YAML, JSON, shell.
test_embedded_lines_fail if {
	messages({
		"app.properties": "# settings\nspring.datasource.url=jdbc:mysql://db/app\nspring.datasource.password=s3cr3t\n",
		"config.yaml": "server:\n  port: 8080\n  auth:\n    signing_key: CHANGEME00000000 # change me\n",
		"settings.json": "{\n  \"user\": \"app\",\n  \"secret\": \"abc123\",\n}",
		"env.sh": "export API_KEY='k-123';\n",
	}) == {
		"app.properties": "ConfigMap \"app\" key \"app.properties\" sets \"spring.datasource.password\" to a literal value on line 3: move it to a Secret",
		"config.yaml": "ConfigMap \"app\" key \"config.yaml\" sets \"signing_key\" to a literal value on line 4: move it to a Secret",
		"settings.json": "ConfigMap \"app\" key \"settings.json\" sets \"secret\" to a literal value on line 3: move it to a Secret",
		"env.sh": "ConfigMap \"app\" key \"env.sh\" sets \"API_KEY\" to a literal value on line 1: move it to a Secret",
	}
}

test_one_finding_per_key_the_first_line if {
	messages({"a.conf": "token = first\npassword = second\n"}) == {"a.conf": "ConfigMap \"app\" key \"a.conf\" sets \"token\" to a literal value on line 1: move it to a Secret"}
	messages({"a.conf": "token = ${T}\npassword: 'second'\n"}) == {"a.conf": "ConfigMap \"app\" key \"a.conf\" sets \"password\" to a literal value on line 2: move it to a Secret"}
}

# The false positives found on the corpus (section 6) and the D4/D5 exclusions on lines.
test_embedded_line_traps_pass if {
	messages({
		"injector.json": "{\n  \"credential-volume\": \"spec:\\n  volumes:\\n  - name: x\",\n  \"token\": {\n    \"audience\": \"istio-ca\"\n  }\n}",
		"values.yaml": "password: |\n  multi\ntoken: {{ .Values.token }}\nsecretKeyRef: db\nSECRETS_DIR=/etc/secrets\nkeys: [a, b]\npassword: \"two words\"\napi_key: \"\"\npassword: <your password>\ntoken: true\n- password: listitem\n",
		"escaped.json": "{\"secret\": \"line1\\nline2\"}\n  \"secret\": \"line1\\nline2\",\n",
		"envs": "SECRET_NAME=db\nPASSWORD_FILE=/run/pw\nclient_secret: ${CLIENT_SECRET}\nGOOGLE_API_KEY=GOOGLE_API_KEY_VAL\n",
	}) == {}
}

test_line_value_quotes_and_comments if {
	# A quoted value keeps " #"; a value with whitespace left after unquoting is not a literal.
	messages({"a": "password: \"a #b\"\n"}) == {}
	messages({"a": "password: abc #comment\n"}) == {"a": "ConfigMap \"app\" key \"a\" sets \"password\" to a literal value on line 1: move it to a Secret"}
	messages({"a": "password: 'abc'\n"}) == {"a": "ConfigMap \"app\" key \"a\" sets \"password\" to a literal value on line 1: move it to a Secret"}
	messages({"a": "password: \"abc'\n"}) == {"a": "ConfigMap \"app\" key \"a\" sets \"password\" to a literal value on line 1: move it to a Secret"}
	messages({"a": "  \"password\" : \"abc\" ;  \r\n"}) == {"a": "ConfigMap \"app\" key \"a\" sets \"password\" to a literal value on line 1: move it to a Secret"}
}

chunk := concat("", [s | some _ in numbers.range(1, 16); s := "# padding padding padding padding padding padding padding padding\n"])

test_bounds if {
	count(chunk) == 1056

	# A line over 1 KiB is skipped; the value limit is 256 KiB.
	long_line := concat("", ["password: abc", concat("", [x | some _ in numbers.range(1, 1100); x := " "])])
	messages({"a": concat("\n", ["x: 1", long_line, ""])}) == {}
	near_limit := concat("", [concat("", [chunk | some _ in numbers.range(1, 248)]), "password: abc\n"])
	count(near_limit) <= 262144
	messages({"a": near_limit}) == {"a": "ConfigMap \"app\" key \"a\" sets \"password\" to a literal value on line 3969: move it to a Secret"}
	v256 := concat("", [x | some _ in numbers.range(1, 256); x := "x"])
	messages({"a": concat("", ["password: ", v256])}) == {"a": "ConfigMap \"app\" key \"a\" sets \"password\" to a literal value on line 1: move it to a Secret"}
	messages({"a": concat("", ["password: \"", v256, "x\""])}) == {}
	over_limit := concat("", [concat("", [chunk | some _ in numbers.range(1, 249)]), "password: abc\n"])
	messages({"a": over_limit}) == {}
}

line_message(key, name, line) := sprintf("ConfigMap \"app\" key %q sets %q to a literal value on line %d: move it to a Secret", [key, name, line])

# Lines are found through the stems they contain: at the start and the end of the value, after
# non-ASCII text (offsets count characters), with two stems on one line, and after a long line.
test_line_positions if {
	messages({"a": "DB_PASSWORD=x1"}) == {"a": line_message("a", "DB_PASSWORD", 1)}
	messages({"a": "é: ü\r\nnaïve: ∑\r\nSecretToken: 'tök3n'\r\n"}) == {"a": line_message("a", "SecretToken", 3)}
	messages({"a": "x: 1\ny: 2\nMASTER_KEY: abc"}) == {"a": line_message("a", "MASTER_KEY", 3)}
	long_line := concat("", ["# secret", concat("", [x | some _ in numbers.range(1, 1100); x := "-"]), "token: abc"])
	messages({"a": concat("\n", [long_line, "token: t0k"])}) == {"a": line_message("a", "token", 2)}
	messages({"a": concat("\n", ["token: ${T}", long_line, "password: pw"])}) == {"a": line_message("a", "password", 3)}
}

test_binary_data_and_other_kinds_pass if {
	count(rule.violations) == 0 with input as {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "b"}, "binaryData": {"password": "aHVudGVyMg=="}}
	count(rule.violations) == 0 with input as {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "stringData": {"password": "hunter2"}}
	count(rule.violations) == 0 with input as object.union(configmap({"password": "hunter2"}), {"apiVersion": "v2"})
	count(rule.violations) == 0 with input as configmap({"password": 42, "token": null})
}

test_extra_words_and_suffixes_params if {
	cfg := {"rules": {"configmap-plaintext-secret": {"params": {"extraSensitiveWords": ["pin"], "extraSafeSuffixes": ["cipher"]}}}}
	d := {"a": "card_pin: 1234\n", "b": "db_password_cipher: aes\n"}
	{v.path | some v in rule.violations} == {["data", "a"]} with input as configmap(d) with data.kubepolicy.config as cfg
	{v.path | some v in rule.violations} == {["data", "b"]} with input as configmap(d)
}
