package kubepolicy.lib_test

import data.kubepolicy.lib

sa_pod(spec) := {"path": ["spec"], "spec": spec, "metadata": {}, "metadata_path": ["metadata"]}

test_service_account_table if {
	cases := [
		# [spec, want]
		[{}, "default"],
		[{"serviceAccountName": "app"}, "app"],
		[{"serviceAccountName": "default"}, "default"],
		[{"serviceAccount": "legacy"}, "legacy"],
		[{"serviceAccountName": "app", "serviceAccount": "legacy"}, "app"],
		[{"serviceAccountName": "", "serviceAccount": "legacy"}, "legacy"],
		[{"serviceAccountName": null, "serviceAccount": "legacy"}, "legacy"],
		[{"serviceAccountName": "", "serviceAccount": ""}, "default"],
		[{"serviceAccountName": null}, "default"],
		[{"serviceAccountName": 7, "serviceAccount": ["x"]}, "default"],
		[{"serviceAccountName": 7, "serviceAccount": "legacy"}, "legacy"],
	]
	every c in cases {
		lib.service_account(sa_pod(c[0])) == c[1]
	}
}

test_service_account_of_every_pod_of_an_object if {
	deployment := {
		"apiVersion": "apps/v1",
		"kind": "Deployment",
		"metadata": {"name": "d"},
		"spec": {"template": {"spec": {"serviceAccount": "builder", "containers": [{"name": "c"}]}}},
	}
	{lib.service_account(p) | some p in lib.pods} == {"builder"} with input as deployment
}
