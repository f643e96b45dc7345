# A pod's service account (RULES-NEXT.md D1), the way the API server decides it.
package kubepolicy.lib

# service_account is the service account of a pod (an entry of pods): serviceAccountName when it is
# a non-empty string, else the deprecated serviceAccount when it is a non-empty string, else
# "default". The API server's own rule: when both are set, serviceAccountName wins.
service_account(pod) := name if {
	name := object.get(pod.spec, "serviceAccountName", null)
	is_string(name)
	name != ""
} else := name if {
	name := object.get(pod.spec, "serviceAccount", null)
	is_string(name)
	name != ""
} else := "default"
