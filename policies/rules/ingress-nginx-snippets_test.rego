package kubepolicy.rules.ingress_nginx_snippets_test

import data.kubepolicy.rules.ingress_nginx_snippets as rule

ingress(api, annotations) := {
	"apiVersion": api,
	"kind": "Ingress",
	"metadata": {"name": "web", "annotations": annotations},
	"spec": {"rules": [{"host": "example.com"}]},
}

configmap(d) := {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ingress-nginx-controller"}, "data": d}

test_snippet_annotation_fails if {
	rule.violations == {{
		"path": ["metadata", "annotations", "nginx.ingress.kubernetes.io/configuration-snippet"],
		"message": "Ingress \"web\" sets the snippet annotation \"nginx.ingress.kubernetes.io/configuration-snippet\": raw NGINX configuration from whoever can edit Ingresses runs in the ingress-nginx controller (CVE-2021-25742)",
		"fix": [],
	}} with input as ingress("networking.k8s.io/v1", {
		"nginx.ingress.kubernetes.io/configuration-snippet": "more_set_headers \"Request-Id: $req_id\";",
		"nginx.ingress.kubernetes.io/rewrite-target": "/",
	})
}

test_every_snippet_annotation_and_api_version_fails if {
	keys := {
		"nginx.ingress.kubernetes.io/configuration-snippet", "nginx.ingress.kubernetes.io/server-snippet",
		"nginx.ingress.kubernetes.io/stream-snippet", "nginx.ingress.kubernetes.io/auth-snippet",
		"nginx.ingress.kubernetes.io/modsecurity-snippet",
	}
	every api in ["networking.k8s.io/v1", "networking.k8s.io/v1beta1", "extensions/v1beta1"] {
		{v.path[2] | some v in rule.violations} == keys with input as ingress(api, {k: "x" | some k in keys})
	}
}

# Checkov's CKV_K8S_153 matches any key containing "snippet": other controllers' keys pass.
test_other_controllers_and_non_snippet_keys_pass if {
	count(rule.violations) == 0 with input as ingress("networking.k8s.io/v1", {
		"haproxy.org/backend-config-snippet": "x",
		"nginx.org/server-snippets": "x",
		"nginx.ingress.kubernetes.io/snippet-enabled": "x",
		"example.com/nginx.ingress.kubernetes.io/server-snippet": "x",
		"nginx.ingress.kubernetes.io/rewrite-target": "/",
	})
	count(rule.violations) == 0 with input as ingress("networking.k8s.io/v1", null)
	count(rule.violations) == 0 with input as ingress("v1", {"nginx.ingress.kubernetes.io/server-snippet": "x"})
}

test_annotations_prefix_param if {
	vs := rule.violations with input as ingress("networking.k8s.io/v1", {
		"custom.example.com/server-snippet": "x",
		"nginx.ingress.kubernetes.io/server-snippet": "x",
	})
		with data.kubepolicy.config as {"rules": {"ingress-nginx-snippets": {"params": {"annotationsPrefix": "custom.example.com"}}}}
	{v.path[2] | some v in vs} == {"custom.example.com/server-snippet"}
}

test_configmap_switch_fails_with_fix if {
	path := ["data", "allow-snippet-annotations"]
	rule.violations == {{
		"path": path,
		"message": "ConfigMap \"ingress-nginx-controller\" sets allow-snippet-annotations: \"True\": ingress-nginx then accepts snippet annotations from every Ingress (CVE-2021-25742; off by default since controller v1.9.0)",
		"fix": [{"op": "set", "path": path, "value": "false"}],
	}} with input as configmap({"allow-snippet-annotations": "True", "use-forwarded-headers": "true"})
}

test_configmap_switch_off_passes if {
	count(rule.violations) == 0 with input as configmap({"allow-snippet-annotations": "false"})
	count(rule.violations) == 0 with input as configmap({"use-forwarded-headers": "true"})
	count(rule.violations) == 0 with input as configmap({"allow-snippet-annotations": true})
	count(rule.violations) == 0 with input as configmap(null)
	count(rule.violations) == 0 with input as object.union(configmap({"allow-snippet-annotations": "true"}), {"apiVersion": "v2"})
}
