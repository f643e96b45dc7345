# METADATA
# title: Containers must not define an environment variable twice
# description: >-
#   When two entries of a container's env list have the same name, Kubernetes uses the last one
#   and silently drops the others. The manifest then says two things about one variable, and the
#   one a reader finds first is not the one the container gets; a later edit to the hidden entry
#   changes nothing. kubectl apply makes it worse: its merge key for env is the name, so a
#   duplicate can be dropped or merged into the wrong entry on the next apply, and the API server
#   warns that the entry "hides previous definition". Keep one entry per name.
# custom:
#   id: env-duplicate-name
#   severity: low
#   profiles: [recommended]
#   pss: []
#   terrascan: []
#   fixable: true
#   kinds: [workloads]
#   reads: ["**.containers.*.name", "**.initContainers.*.name", "**.ephemeralContainers.*.name", "**.env"]
#   passes: Every name appears at most once in each container's env list.
#   fix: >-
#     Removes the hidden entries of that name, keeping the last one. Not offered when an entry after
#     a hidden one refers to the name with $(NAME) in its value (PATH=$(PATH):/extra), since
#     Kubernetes expands it with the hidden value.
package kubepolicy.rules.env_duplicate_name

import data.kubepolicy.lib

violations contains v if {
	some c in lib.containers
	env := c.container.env
	is_array(env)
	names := [entry_name(e) | some e in env]
	some j, name in names
	is_string(name)
	j < last_index(names, name)
	v := {
		"path": array.concat(c.path, ["env", j, "name"]),
		"message": sprintf(
			"container %q defines env var %s more than once: a later entry hides this one, as Kubernetes uses the last",
			[c.name, name],
		),
		"fix": fix(c, env, names, j, name),
	}
}

# fix removes every hidden entry of the name that is safe to remove, highest index first, so that
# the paths of the others stay valid; [] when the entry j itself is not safe to remove.
fix(c, env, names, j, name) := [] if {
	not removable(env, names, j, name)
} else := [{"op": "remove", "path": array.concat(c.path, ["env", i])} |
	some i in array.reverse(sort([i |
		some i, n in names
		n == name
		i < last_index(names, name)
		removable(env, names, i, name)
	]))
]

# removable: no entry after i, up to the last one of that name, refers to the name as $(NAME): such a
# reference (the next definition's own PATH=$(PATH):/x, or another variable defined in between) is
# expanded with the value of entry i, so removing it would change the environment.
removable(env, names, i, name) if {
	ref := concat("", ["$(", name, ")"])
	last := last_index(names, name)
	not refers(env, i, last, ref)
}

refers(env, i, last, ref) if {
	some k, e in env
	k > i
	k <= last
	value := e.value
	is_string(value)
	contains(value, ref)
}

last_index(names, name) := max([k | some k, n in names; n == name])

entry_name(e) := e.name if {
	is_object(e)
	is_string(e.name)
} else := null
