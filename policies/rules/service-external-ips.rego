# METADATA
# title: Services must not set externalIPs
# description: >-
#   A Service's spec.externalIPs makes kube-proxy on every node capture the traffic sent to those
#   addresses and route it to the Service's pods, whatever the IP belongs to. Anyone allowed to
#   create or edit a Service can therefore intercept traffic to any address inside the cluster,
#   an external API or another tenant's IP included: CVE-2020-8554, which cannot be fixed in the API
#   server and is mitigated only by admission control. Every Service type is affected. Addresses
#   that the cluster really owns can be listed in the allowed parameter.
# custom:
#   id: service-external-ips
#   severity: high
#   profiles: [recommended]
#   pss: []
#   terrascan: [AC_K8S_0112]
#   fixable: false
#   kinds: [Service]
#   reads: [metadata.name, metadata.namespace, spec.externalIPs]
#   passes: >-
#     The Service has no spec.externalIPs, or every entry is in the allowed parameter (exact
#     strings, empty by default). spec.externalName is not checked.
#   fix: None; remove the externalIPs entry or expose the Service through a LoadBalancer or an Ingress.
package kubepolicy.rules.service_external_ips

import data.kubepolicy.lib

allowed := {ip | some ip in lib.arr(lib.param("service-external-ips", "allowed", [])); is_string(ip)}

violations contains v if {
	input.kind == "Service"
	input.apiVersion == "v1"
	some i, ip in lib.arr(object.get(input, ["spec", "externalIPs"], []))
	is_string(ip)
	not ip in allowed
	v := {
		"path": ["spec", "externalIPs", i],
		"message": sprintf("Service %q captures traffic to external IP %q (spec.externalIPs[%d]) on every node: whoever may set externalIPs can intercept any address (CVE-2020-8554)", [object.get(input, ["metadata", "name"], ""), ip, i]),
		"fix": [],
	}
}
