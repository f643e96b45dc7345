package kubepolicy.lib_secrets_test

import data.kubepolicy.lib

# D4 sensitive_name --------------------------------------------------------

sensitive_names := {
	"MYSQL_ROOT_PASSWORD", "AWS_SECRET_ACCESS_KEY", "SECRET_KEY_BASE", "clientSecret", "GOOGLE_API_KEY",
	"apiKey", "APIKEY", "privateKey", "PRIVATEKEY", "DB_PASSWD", "GPG_PASSPHRASE", "REDIS_PASS",
	"db_pwd", "GITHUB_TOKEN", "gcp-credentials", "CREDENTIAL", "JWT_SIGNING_KEY", "ENCRYPTION_KEY",
	"MASTER_KEY", "password", "OAUTH2_PROXY_COOKIE_SECRET", "MINIO_SECRET_KEY",
	"GF_SECURITY_ADMIN_PASSWORD", "signing_key", "WSREP_SST_PASSWORD", "auth.token", "DB2PASSWORD",
}

# Every false-positive name of RULES-NEXT.md D4 and section 2.6, and near misses.
safe_names := {
	"SECRETS_DIR", "SECRET_DIR", # kube-linter#1198
	"METALLB_ML_SECRET_KEY_PATH", # regolibrary#697
	"MARIADB_ROOT_PASSWORD_FILE", # regolibrary#563
	"AWS_ACCESS_KEY_ID", "SECRET_NAME", "TOKEN_TTL",
	"PROJECT_KEY", "SECRET_KEY_ID", "JWT_GCP_TOKEN_URL", # defsec#1133
	"admin_email", # devantler-tech/platform#3240
	"PWD", "OLDPWD", "KEY", "PASSWORD_MIN_LENGTH", "passthrough", "bypass", "TOKENS", "keys",
	"SECRET_KEYS", "password_hash", "tokenEndpoint", "apiKeyRef", "secretKeyRef", "KEYCLOAK_URL",
	"MONKEY", "", "__", "PASSWORD_FILE", "clientSecretName", "DB_USER",
}

test_sensitive_names if {
	{n | some n in sensitive_names; lib.sensitive_name(n)} == sensitive_names
}

test_safe_names if {
	{n | some n in safe_names; lib.sensitive_name(n)} == set()
}

test_sensitive_name_of_a_non_string if {
	not lib.sensitive_name(42)
	not lib.sensitive_name(null)
}

test_sensitive_name_extended if {
	lib.sensitive_name_extended("DB_PIN", ["pin"], [])
	lib.sensitive_name_extended("dbPin", ["PIN"], [])
	not lib.sensitive_name("DB_PIN")
	not lib.sensitive_name_extended("DB_PASSWORD_CIPHER", [], ["cipher"])
	lib.sensitive_name("DB_PASSWORD_CIPHER")
	not lib.sensitive_name_extended("DB_PIN_FILE", ["PIN"], [])
	not lib.sensitive_name_extended("DB_PIN", ["P.IN", 7], [])
}

test_name_words if {
	lib.name_words("clientSecret") == ["CLIENT", "SECRET"]
	lib.name_words("MYSQL__ROOT-password") == ["MYSQL", "ROOT", "PASSWORD"]
	lib.name_words("HTTPServerKey") == ["HTTPSERVER", "KEY"]
	lib.name_words("db2Password.v1") == ["DB2", "PASSWORD", "V1"]
	lib.name_words("--") == []
}

# D5 literal_secret --------------------------------------------------------

literal_cases := {
	["supersecret", "MYSQL_ROOT_PASSWORD"],
	["password", "MYSQL_DB_PASSWORD"], # weak values are the point of the rule
	["admin", "GF_SECURITY_ADMIN_PASSWORD"],
	["SECRET", "OAUTH2_PROXY_COOKIE_SECRET"],
	["  changeme  ", "X_PASSWORD"],
	["CHANGEME00000000", "signing_key"],
	["pa$$word", "X_PASSWORD"],
	["a<b>", "X_PASSWORD"],
	["0", "X_PASSWORD"],
}

not_literal_cases := {
	["", "X_PASSWORD"],
	["   ", "X_PASSWORD"],
	["$(GITLAB_PRIVATE_TOKEN)", "GITLAB_TOKEN"], # polaris#1046
	["prefix-$(VAR)", "X_TOKEN"],
	["${DB_PASSWORD}", "X_PASSWORD"],
	["{{ .Values.password }}", "X_PASSWORD"],
	["/var/secrets/google/key.json", "GOOGLE_APPLICATION_CREDENTIALS"],
	["True", "X_PASSWORD"], ["off", "X_PASSWORD"], ["NULL", "X_PASSWORD"], ["~", "X_PASSWORD"],
	["yes", "X_PASSWORD"], ["No", "X_PASSWORD"], ["ON", "X_PASSWORD"], ["false", "X_PASSWORD"],
	["{\"a\": 1}", "X_TOKEN"], ["[a, b]", "X_TOKEN"], ["|", "X_TOKEN"], [">-", "X_TOKEN"],
	["&anchor", "X_TOKEN"], ["*alias", "X_TOKEN"],
	["<your-password>", "X_PASSWORD"], ["<>", "X_PASSWORD"],
	["GOOGLE_API_KEY_VAL", "GOOGLE_API_KEY"],
	["google-api-key", "GOOGLE_API_KEY"],
	["__x_password__", "X_PASSWORD"],
}

test_literal_values if {
	{c | some c in literal_cases; lib.literal_secret(c[0], c[1])} == literal_cases
}

test_not_literal_values if {
	{c | some c in not_literal_cases; lib.literal_secret(c[0], c[1])} == set()
}

test_literal_secret_of_a_non_string if {
	not lib.literal_secret(42, "X_PASSWORD")
	not lib.literal_secret(null, "X_PASSWORD")
	not lib.literal_secret(true, "X_PASSWORD")
}

# D6 secret_pattern --------------------------------------------------------

jwt := "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"

pattern_cases := {
	"-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----": "a PEM private key",
	"-----BEGIN RSA PRIVATE KEY-----": "a PEM private key",
	"-----BEGIN OPENSSH PRIVATE KEY-----": "a PEM private key",
	"-----BEGIN ENCRYPTED PRIVATE KEY-----": "a PEM private key",
	"AKIAIOSFODNN7EXAMPLE": "an AWS access key id",
	"aws_access_key_id = ASIAIOSFODNN7EXAMPLE\n": "an AWS access key id",
	"ghp_0123456789abcdefghijABCDEFGHIJ012345": "a GitHub token",
	"token: gho_0123456789abcdefghijABCDEFGHIJ012345": "a GitHub token",
	"glpat-abcdefghij0123456789": "a GitLab token",
	"xoxb-1234567890-abcdef": "a Slack token",
	jwt: "a JSON Web Token",
	"Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVm": "a JSON Web Token",
	"AKIAIOSFODNN7EXAMPLE -----BEGIN EC PRIVATE KEY-----": "a PEM private key", # the first pattern wins
}

no_pattern_cases := {
	"-----BEGIN PUBLIC KEY-----", "-----BEGIN CERTIFICATE-----",
	"AKIAIOSFODNN7EXAMPL", # 15 characters after AKIA
	"XAKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLEX", "akiaiosfodnn7example",
	"ghp_0123456789abcdefghijABCDEFGHIJ01234", # 35 characters
	"ghx_0123456789abcdefghijABCDEFGHIJ012345",
	"glpat-short", "xoxc-1234567890-abcdef", "xoxb-123",
	"eyJhbGciOiJIUzI1NiJ9", "eyJhbGciOiJIUzI1NiJ9.e30.abc",
	"supersecret", "", "ASIA-Pacific",
}

test_secret_patterns if {
	{v: lib.secret_pattern(v) | some v, _ in pattern_cases} == pattern_cases
}

test_no_secret_patterns if {
	{v | some v in no_pattern_cases; lib.secret_pattern(v)} == set()
	not lib.secret_pattern(42)
}

kib := concat("", [s | some _ in numbers.range(1, 16); s := "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz.:"])

long_text(n) := concat("\n", [kib | some _ in numbers.range(1, n)])

test_secret_pattern_in_a_long_value if {
	count(kib) == 1024
	lib.secret_pattern(concat("\n", [long_text(4), "key: AKIAIOSFODNN7EXAMPLE"])) == "an AWS access key id"
	lib.secret_pattern(concat("", [long_text(255), "\nAKIAIOSFODNN7EXAMPLE"])) == "an AWS access key id"
	not lib.secret_pattern(long_text(4))
}

test_secret_pattern_scans_the_first_256_kib if {
	not lib.secret_pattern(concat("", [long_text(256), "\nAKIAIOSFODNN7EXAMPLE"]))
	lib.secret_pattern(concat("", ["AKIAIOSFODNN7EXAMPLE\n", long_text(300)])) == "an AWS access key id"
}
