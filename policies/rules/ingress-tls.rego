# METADATA
# title: Ingresses should terminate TLS
# description: >-
#   An Ingress without spec.tls serves its hosts over plain HTTP: credentials, session cookies and
#   data cross the network readable and modifiable by anyone on the path. Give it a tls entry with
#   the hosts and the Secret of their certificate (cert-manager can issue it), or terminate TLS at
#   the cloud load balancer and say so with that load balancer's certificate annotation (the
#   tlsAnnotations parameter: the AWS ALB certificate ARN, a GCE pre-shared certificate or GKE
#   managed certificates by default). An empty tls list configures no TLS and is reported.
# custom:
#   id: ingress-tls
#   severity: medium
#   profiles: [all]
#   pss: []
#   terrascan: [AC_K8S_0002]
#   fixable: false
#   kinds: [Ingress]
#   reads: [metadata.name, metadata.namespace, metadata.annotations, spec]
#   passes: >-
#     spec.tls has at least one entry, or the Ingress has one of the tlsAnnotations annotations
#     (alb.ingress.kubernetes.io/certificate-arn, ingress.gcp.kubernetes.io/pre-shared-cert,
#     networking.gke.io/managed-certificates by default).
#   fix: None; TLS needs a certificate Secret or a load balancer certificate.
package kubepolicy.rules.ingress_tls

import data.kubepolicy.lib

default_tls_annotations := [
	"alb.ingress.kubernetes.io/certificate-arn",
	"ingress.gcp.kubernetes.io/pre-shared-cert",
	"networking.gke.io/managed-certificates",
]

tls_annotations := {a |
	some a in lib.arr(lib.param("ingress-tls", "tlsAnnotations", default_tls_annotations))
	is_string(a)
}

ingress_api_versions := {"networking.k8s.io/v1", "networking.k8s.io/v1beta1", "extensions/v1beta1"}

spec := lib.obj(object.get(input, "spec", {}))

violations contains v if {
	input.kind == "Ingress"
	input.apiVersion in ingress_api_versions
	object.get(spec, "tls", null) in {null, []}
	not load_balancer_tls
	v := {
		"path": tls_path,
		"message": sprintf("Ingress %q has no TLS (%s) and no load balancer certificate annotation: its hosts are served over plain HTTP", [object.get(input, ["metadata", "name"], ""), tls_state]),
		"fix": [],
	}
}

load_balancer_tls if {
	some key, _ in lib.obj(object.get(input, ["metadata", "annotations"], {}))
	key in tls_annotations
}

has_tls_key if "tls" in object.keys(spec)

tls_path := ["spec", "tls"] if has_tls_key

else := ["spec"]

tls_state := "spec.tls is absent" if not has_tls_key

else := "spec.tls is null" if spec.tls == null

else := "spec.tls is empty"
