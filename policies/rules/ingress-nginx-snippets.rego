# METADATA
# title: ingress-nginx snippet annotations must not be used or allowed
# description: >-
#   ingress-nginx copies the value of its *-snippet annotations (configuration-snippet,
#   server-snippet, stream-snippet, auth-snippet, modsecurity-snippet) verbatim into the NGINX
#   configuration of the controller. Whoever can create or edit an Ingress can then run Lua or read
#   files as the controller, whose ServiceAccount reads every Secret of the cluster
#   (CVE-2021-25742). The controller has refused them by default since v1.9.0 unless its ConfigMap
#   sets allow-snippet-annotations to "true". An Ingress that uses a snippet annotation, or a
#   ConfigMap that switches snippets back on, is reported. The annotation prefix follows the
#   controller's --annotations-prefix (the annotationsPrefix parameter); other controllers' keys
#   are not matched.
# custom:
#   id: ingress-nginx-snippets
#   severity: high
#   profiles: [recommended]
#   pss: []
#   terrascan: [AC_K8S_0050]
#   fixable: true
#   kinds: [Ingress, ConfigMap]
#   reads: [metadata.name, metadata.namespace, metadata.annotations, data]
#   fixPreferred: false
#   passes: >-
#     No Ingress annotation key starts with "<annotationsPrefix>/" (default nginx.ingress.kubernetes.io)
#     and ends with "-snippet", and no ConfigMap sets data.allow-snippet-annotations to "true".
#   fix: Sets the ConfigMap's allow-snippet-annotations to "false" (Ingress snippets have no fix).
package kubepolicy.rules.ingress_nginx_snippets

import data.kubepolicy.lib

default_prefix := "nginx.ingress.kubernetes.io"

prefix := p if {
	p := lib.param("ingress-nginx-snippets", "annotationsPrefix", default_prefix)
	is_string(p)
	p != ""
} else := default_prefix

ingress_api_versions := {"networking.k8s.io/v1", "networking.k8s.io/v1beta1", "extensions/v1beta1"}

# (a) An Ingress uses a snippet annotation.
violations contains v if {
	input.kind == "Ingress"
	input.apiVersion in ingress_api_versions
	some key, _ in lib.obj(object.get(input, ["metadata", "annotations"], {}))
	startswith(key, concat("", [prefix, "/"]))
	endswith(key, "-snippet")
	v := {
		"path": ["metadata", "annotations", key],
		"message": sprintf("Ingress %q sets the snippet annotation %q: raw NGINX configuration from whoever can edit Ingresses runs in the ingress-nginx controller (CVE-2021-25742)", [object.get(input, ["metadata", "name"], ""), key]),
		"fix": [],
	}
}

# (b) The controller ConfigMap allows snippet annotations.
violations contains v if {
	input.kind == "ConfigMap"
	input.apiVersion == "v1"
	value := input.data["allow-snippet-annotations"]
	is_string(value)
	lower(value) == "true"
	path := ["data", "allow-snippet-annotations"]
	v := {
		"path": path,
		"message": sprintf("ConfigMap %q sets allow-snippet-annotations: %q: ingress-nginx then accepts snippet annotations from every Ingress (CVE-2021-25742; off by default since controller v1.9.0)", [object.get(input, ["metadata", "name"], ""), value]),
		"fix": [{"op": "set", "path": path, "value": "false"}],
	}
}
