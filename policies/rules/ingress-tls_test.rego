package kubepolicy.rules.ingress_tls_test

import data.kubepolicy.rules.ingress_tls as rule

ingress(spec, annotations) := {
	"apiVersion": "networking.k8s.io/v1",
	"kind": "Ingress",
	"metadata": {"name": "web", "annotations": annotations},
	"spec": spec,
}

rules := [{"host": "example.com", "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]

test_absent_tls_fails_on_spec if {
	rule.violations == {{
		"path": ["spec"],
		"message": "Ingress \"web\" has no TLS (spec.tls is absent) and no load balancer certificate annotation: its hosts are served over plain HTTP",
		"fix": [],
	}} with input as ingress({"rules": rules}, {})
}

# PO tlsSettingsMissing and KS C-0263 pass `tls: []`: it configures no TLS.
test_empty_tls_fails_on_tls if {
	rule.violations == {{
		"path": ["spec", "tls"],
		"message": "Ingress \"web\" has no TLS (spec.tls is empty) and no load balancer certificate annotation: its hosts are served over plain HTTP",
		"fix": [],
	}} with input as ingress({"rules": rules, "tls": []}, {})
}

test_null_tls_fails_on_tls if {
	[v.path | some v in rule.violations] == [["spec", "tls"]] with input as ingress({"rules": rules, "tls": null}, {})
}

test_every_api_version_fails if {
	every api in ["networking.k8s.io/v1", "networking.k8s.io/v1beta1", "extensions/v1beta1"] {
		count(rule.violations) == 1 with input as object.union(ingress({"rules": rules}, {}), {"apiVersion": api})
	}
}

test_tls_passes if {
	count(rule.violations) == 0 with input as ingress({"rules": rules, "tls": [{"hosts": ["example.com"], "secretName": "web-tls"}]}, {})
}

test_load_balancer_certificate_annotations_pass if {
	every a in ["alb.ingress.kubernetes.io/certificate-arn", "ingress.gcp.kubernetes.io/pre-shared-cert", "networking.gke.io/managed-certificates"] {
		count(rule.violations) == 0 with input as ingress({"rules": rules}, {a: "x"})
	}
}

test_tls_annotations_param if {
	count(rule.violations) == 0 with input as ingress({"rules": rules}, {"example.com/cert": "x"})
		with data.kubepolicy.config as {"rules": {"ingress-tls": {"params": {"tlsAnnotations": ["example.com/cert"]}}}}
	count(rule.violations) == 1 with input as ingress({"rules": rules}, {"alb.ingress.kubernetes.io/certificate-arn": "x"})
		with data.kubepolicy.config as {"rules": {"ingress-tls": {"params": {"tlsAnnotations": ["example.com/cert"]}}}}
}

test_other_kinds_pass if {
	count(rule.violations) == 0 with input as object.union(ingress({"rules": rules}, {}), {"apiVersion": "v1"})
	count(rule.violations) == 0 with input as {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "spec": {}}
}
