# Shared definitions of the secret rules (RULES-NEXT.md section 4.0): D4 sensitive names
# (sensitive_name), D5 literal values (literal_secret) and D6 credential value patterns
# (secret_patterns, secret_pattern), read by env-plaintext-secret and configmap-plaintext-secret.
package kubepolicy.lib

# D4. Sensitive names ------------------------------------------------------

# sensitive_words (S): a name with one of these words names a credential.
sensitive_words := {
	"PASSWORD", "PASSWD", "PASSPHRASE", "PASS", "PWD", "SECRET", "TOKEN", "APIKEY", "PRIVATEKEY",
	"CREDENTIAL", "CREDENTIALS",
}

# key_qualifiers: the word KEY is sensitive right after one of these (SECRET_KEY, apiKey).
key_qualifiers := {"SECRET", "PRIVATE", "API", "SIGNING", "ENCRYPTION", "MASTER"}

# safe_suffixes (N): a name whose last word is one of these names something about a credential
# (where it is, what it is called, how long it lives), not the credential itself.
safe_suffixes := {
	"FILE", "FILES", "PATH", "DIR", "DIRECTORY", "NAME", "NAMES", "REF", "URL", "URI", "ENDPOINT",
	"HOST", "HOSTNAME", "PORT", "ID", "ARN", "MOUNT", "LOCATION", "TYPE", "KIND", "ENABLED", "ENABLE",
	"DISABLED", "DISABLE", "LENGTH", "SIZE", "TTL", "EXPIRY", "EXPIRATION", "TIMEOUT", "HEADER",
	"FIELD", "PARAM", "ENV", "VAR", "PROVIDER", "STORE", "SOURCE", "FORMAT", "ALGORITHM", "MODE",
	"VERSION", "REGION", "COUNT", "MAX", "MIN", "INTERVAL", "PERIOD", "LIFETIME", "AUDIENCE", "ISSUER",
	"SCOPE", "SCOPES", "USER", "USERNAME", "LOGIN", "EMAIL", "HASH", "KEYS",
}

# name_words splits a name into upper-case words: a break between a lower-case letter or digit and
# the upper-case letter after it (clientSecret: client, Secret), and at every run of characters
# that are not ASCII letters or digits.
name_words(n) := [upper(w) |
	some w in regex.split(`[^A-Za-z0-9]+`, regex.replace(n, `([a-z0-9])([A-Z])`, "${1}_${2}"))
	w != ""
]

# sensitive_stems_regex: every sensitive word, and KEY, contains one of these (case-insensitive),
# so a name without any of them is not split at all; extra words (single words of letters and
# digits) are added.
sensitive_stems_regex(extra_words) := "(?i)pass|pwd|secret|token|key|credential" if {
	count(extra_words) == 0
} else := concat("", ["(?i)pass|pwd|secret|token|key|credential", concat("", [alt |
	some w in extra_words
	is_string(w)
	regex.match(`^[A-Za-z0-9]+$`, w)
	alt := concat("", ["|", w])
])])

# sensitive_name(n): D4 with the built-in word lists.
sensitive_name(n) if sensitive_name_extended(n, [], [])

# sensitive_name_extended(n, extra_words, extra_suffixes): D4 with S extended by extra_words and N
# by extra_suffixes (the rules' extraSensitiveWords and extraSafeSuffixes parameters). True when a
# word is in S (or is KEY right after a qualifier), the last word is not in N, and the name is not
# the shell's PWD or OLDPWD.
sensitive_name_extended(n, extra_words, extra_suffixes) if {
	is_string(n)
	regex.match(sensitive_stems_regex(extra_words), n)
	not n in {"PWD", "OLDPWD"}
	words := name_words(n)
	last := words[count(words) - 1]
	not last in safe_suffixes
	not last in {upper(s) | some s in extra_suffixes; is_string(s)}
	sensitive_word_in(words, {upper(w) | some w in extra_words; is_string(w)})
}

sensitive_word_in(words, _) if {
	some w in words
	w in sensitive_words
}

sensitive_word_in(words, extra) if {
	some w in words
	w in extra
}

sensitive_word_in(words, _) if {
	some i, w in words
	w == "KEY"
	i > 0
	words[i - 1] in key_qualifiers
}

# D5. Literal values -------------------------------------------------------

# literal_secret(v, name): v is a string whose trimmed text is a value written in the manifest
# itself: not empty, no reference or template ($(VAR), ${VAR}, {{ }}), not a file path, not a
# boolean or null word, not an embedded structure (JSON, YAML block scalar, anchor, alias), not a
# <placeholder>, and not a marker that contains the variable's own name. Weak values (password,
# changeme, admin) are literal: they are what the secret rules are for.
literal_secret(v, name) if {
	is_string(v)
	t := trim_space(v)
	t != ""
	not literal_reference(t)
	not startswith(t, "/")
	not lower(t) in {"true", "false", "yes", "no", "on", "off", "null", "~"}
	not literal_structure(t)
	not literal_placeholder(t)
	not literal_names_itself(t, name)
}

literal_reference(t) if contains(t, "$(")

literal_reference(t) if contains(t, "${")

literal_reference(t) if contains(t, "{{")

literal_structure(t) if {
	some p in ["{", "[", "|", ">", "&", "*"]
	startswith(t, p)
}

literal_placeholder(t) if {
	count(t) >= 2
	startswith(t, "<")
	endswith(t, ">")
}

literal_names_itself(t, name) if {
	n := alphanumeric_lower(name)
	n != ""
	contains(alphanumeric_lower(t), n)
}

alphanumeric_lower(s) := lower(regex.replace(s, `[^A-Za-z0-9]+`, "")) if is_string(s)

# D6. Credential value patterns --------------------------------------------

# secret_scan_limit: a longer value is scanned only in its first 256 KiB.
secret_scan_limit := 262144

# secret_patterns: credentials recognisable by their value whatever the name, in the order they are
# tried. hints are literal strings every match contains: the regex runs only on a value that has
# one (Go's regexp is slow on long texts, strings.Contains is not).
secret_patterns := [
	{"name": "a PEM private key", "hints": ["PRIVATE KEY-----"], "regex": `-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY-----`},
	{"name": "an AWS access key id", "hints": ["AKIA", "ASIA"], "regex": `\b(AKIA|ASIA)[0-9A-Z]{16}\b`},
	{"name": "a GitHub token", "hints": ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"], "regex": `\bgh[pousr]_[A-Za-z0-9]{36,255}\b`},
	{"name": "a GitLab token", "hints": ["glpat-"], "regex": `\bglpat-[A-Za-z0-9_-]{20,}\b`},
	{"name": "a Slack token", "hints": ["xox"], "regex": `\bxox[abprs]-[A-Za-z0-9-]{10,}\b`},
	{"name": "a JSON Web Token", "hints": ["eyJ"], "regex": `\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}`},
]

# secret_hints_regex: any hint of secret_patterns, one regex call for short values.
secret_hints_regex := `PRIVATE KEY-----|AKIA|ASIA|gh[pousr]_|glpat-|xox|eyJ`

# secret_pattern(v): the name of the first credential pattern the string v matches (in its first
# 256 KiB); undefined when none does.
secret_pattern(v) := name if {
	is_string(v)
	s := secret_scan_text(v)
	secret_hinted(s)
	names := [p.name |
		some p in secret_patterns
		some h in p.hints
		contains(s, h)
		regex.match(p.regex, s)
	]
	name := names[0]
}

secret_scan_text(v) := v if count(v) <= secret_scan_limit

else := substring(v, 0, secret_scan_limit)

secret_hinted(s) if {
	count(s) <= 1024
	regex.match(secret_hints_regex, s)
}

secret_hinted(s) if {
	count(s) > 1024
	some p in secret_patterns
	some h in p.hints
	contains(s, h)
}
