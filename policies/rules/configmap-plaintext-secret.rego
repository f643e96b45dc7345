# METADATA
# title: ConfigMaps must not hold plaintext credentials
# description: >-
#   ConfigMaps are not meant for secrets: they are readable by far more roles than Secrets, shown
#   in full by kubectl describe, copied into logs and support bundles, and their manifests live in
#   Git. A data value is reported when it contains a credential pattern (a PEM private key, an AWS
#   access key id, a GitHub, GitLab or Slack token, a JWT); when its key names a credential
#   (password, api_key, clientSecret ... as a word) and its one-line value is written literally; or
#   when a line of an embedded file sets such a name to a literal value (password=... in a
#   .properties file, token: ... in YAML, "secret": "..." in JSON). References ($(VAR), ${VAR},
#   templates), paths, booleans, placeholders and structures are not literals. Values over 256 KiB
#   and lines over 1 KiB are not scanned line by line. Move the value to a Secret.
# custom:
#   id: configmap-plaintext-secret
#   severity: high
#   profiles: [recommended]
#   pss: []
#   terrascan: []
#   fixable: false
#   kinds: [ConfigMap]
#   reads: [metadata.name, metadata.namespace, data]
#   passes: >-
#     No data value contains a credential pattern; a sensitive key's value is a reference, a path,
#     a placeholder or a structure; no line of an embedded file sets a sensitive name to a literal
#     value. binaryData is not read. The extraSensitiveWords and extraSafeSuffixes parameters extend
#     the name word lists.
#   fix: None; moving the value to a Secret needs a new object.
package kubepolicy.rules.configmap_plaintext_secret

import data.kubepolicy.lib

extra_words := lib.arr(lib.param("configmap-plaintext-secret", "extraSensitiveWords", []))

extra_suffixes := lib.arr(lib.param("configmap-plaintext-secret", "extraSafeSuffixes", []))

# A value longer than this is not scanned line by line, and a line longer than line_limit is
# skipped (RULES-NEXT.md: 256 KiB and 1 KiB).
value_limit := 262144

line_limit := 1024

value_chars_limit := 256

# stems: every sensitive name contains one of these, case-insensitively (lib.sensitive_name). A value
# without any of them is not split into lines, and a line is matched only if its name has one.
stems := array.concat(["pass", "pwd", "secret", "token", "key", "credential"], [lower(w) |
	some w in extra_words
	is_string(w)
	regex.match(`^[A-Za-z0-9]+$`, w)
])

# line_regex is RULES-NEXT.md's
# ^\s*(export\s+)?["']?([A-Za-z0-9_.-]+)["']?\s*[:=]\s*(.*?)\s*[,;]?\s*$ with group 2 required to
# contain a stem: the same matches and groups for every line whose name can be sensitive.
line_regex := concat("", [
	`^\s*(export\s+)?["']?([A-Za-z0-9_.-]*(?i:`,
	concat("|", stems),
	`)[A-Za-z0-9_.-]*)["']?\s*[:=]\s*(.*?)\s*[,;]?\s*$`,
])

name := object.get(input, ["metadata", "name"], "")

violations contains v if {
	input.kind == "ConfigMap"
	input.apiVersion == "v1"
	some key, value in lib.obj(input.data)
	is_string(value)
	problem := plaintext(key, value)
	v := {
		"path": ["data", key],
		"message": sprintf("ConfigMap %q key %q %s: move it to a Secret", [name, key, problem]),
		"fix": [],
	}
}

# plaintext is the first problem of a data value: (a) a credential pattern, (b) a sensitive key with
# a literal one-line value, (c) an embedded line that sets a sensitive name to a literal value.
plaintext(key, value) := sprintf("holds %s in plain text", [p]) if {
	p := lib.secret_pattern(value)
} else := "is a credential set to a literal value" if {
	lib.sensitive_name_extended(key, extra_words, extra_suffixes)
	not contains(trim_space(value), "\n")
	lib.literal_secret(value, key)
} else := sprintf("sets %q to a literal value on line %d", [hit.name, hit.line]) if {
	hit := first_line_hit(value)
}

# first_line_hit is the first line of value that sets a sensitive name to a literal value, with its
# line number (1-based). Only the lines that contain a stem are matched (stem_lines).
first_line_hit(value) := {"line": hit[0] + 1, "name": hit[1][2]} if {
	count(value) <= value_limit
	lowered := lower(value)
	has_stem(lowered)
	lines := split(value, "\n")
	candidates := sort({i | some stem in stems; some i in stem_lines(lowered, stem)})
	hits := [[i, m] |
		some i in candidates
		line := lines[i]
		count(line) <= line_limit
		some m in regex.find_all_string_submatch_n(line_regex, line, 1)
		lib.sensitive_name_extended(m[2], extra_words, extra_suffixes)
		literal_line_value(line_value(m[3]), m[2])
	]
	hit := hits[0]
}

# stem_lines is the set of the (0-based) indexes of the lines of lowered that contain stem: the text
# is split at the stem in Go, and the line of the k-th occurrence is the number of line ends in the
# pieces before it. A Rego iteration per occurrence instead of one per line: most lines of a long
# value (dashboards, injector templates) hold no stem. lower keeps the lines of the value.
stem_lines(lowered, stem) := {i |
	pieces := split(lowered, stem)
	count(pieces) > 1
	line_ends := [strings.count(p, "\n") | some p in pieces]
	some k in numbers.range(1, count(pieces) - 1)
	i := sum(array.slice(line_ends, 0, k))
}

has_stem(lowered) if {
	some stem in stems
	contains(lowered, stem)
}

# line_value: an unquoted value is cut at its first " #" (a YAML or properties comment); then one
# pair of matching quotes is removed.
line_value(raw) := unquote(raw) if {
	some q in ["\"", "'"]
	startswith(raw, q)
} else := unquote(trim_space(cut_comment(raw)))

cut_comment(raw) := substring(raw, 0, i) if {
	i := indexof(raw, " #")
	i >= 0
} else := raw

unquote(s) := substring(s, 1, count(s) - 2) if {
	count(s) >= 2
	some q in ["\"", "'"]
	startswith(s, q)
	endswith(s, q)
} else := s

literal_line_value(s, key) if {
	count(s) <= value_chars_limit
	not regex.match(`\s`, s)
	not contains(s, `\n`)
	lib.literal_secret(s, key)
}
