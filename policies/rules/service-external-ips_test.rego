package kubepolicy.rules.service_external_ips_test

import data.kubepolicy.rules.service_external_ips as rule

service(spec) := {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": spec}

test_external_ips_fail if {
	rule.violations == {
		{
			"path": ["spec", "externalIPs", 0],
			"message": "Service \"web\" captures traffic to external IP \"23.185.0.3\" (spec.externalIPs[0]) on every node: whoever may set externalIPs can intercept any address (CVE-2020-8554)",
			"fix": [],
		},
		{
			"path": ["spec", "externalIPs", 1],
			"message": "Service \"web\" captures traffic to external IP \"10.0.0.9\" (spec.externalIPs[1]) on every node: whoever may set externalIPs can intercept any address (CVE-2020-8554)",
			"fix": [],
		},
	} with input as service({"ports": [{"port": 80}], "externalIPs": ["23.185.0.3", "10.0.0.9"]})
}

test_every_service_type_fails if {
	every t in ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"] {
		{v.path | some v in rule.violations} == {["spec", "externalIPs", 0]} with input as service({"type": t, "externalIPs": ["1.2.3.4"]})
	}
}

test_no_external_ips_pass if {
	count(rule.violations) == 0 with input as service({"ports": [{"port": 80}]})
	count(rule.violations) == 0 with input as service({"externalIPs": []})
	count(rule.violations) == 0 with input as service({"externalIPs": null})
}

# TV KSV-0108 fails every ExternalName Service: externalName is not externalIPs.
test_external_name_passes if {
	count(rule.violations) == 0 with input as service({"type": "ExternalName", "externalName": "db.example.com"})
}

test_allowed_ips_pass if {
	vs := rule.violations with input as service({"externalIPs": ["192.0.2.10", "192.0.2.11"]})
		with data.kubepolicy.config as {"rules": {"service-external-ips": {"params": {"allowed": ["192.0.2.10"]}}}}
	{v.path | some v in vs} == {["spec", "externalIPs", 1]}
}

test_other_kinds_and_versions_pass if {
	count(rule.violations) == 0 with input as {"apiVersion": "v1", "kind": "Endpoints", "spec": {"externalIPs": ["1.2.3.4"]}}
	count(rule.violations) == 0 with input as {"apiVersion": "serving.knative.dev/v1", "kind": "Service", "spec": {"externalIPs": ["1.2.3.4"]}}
}
