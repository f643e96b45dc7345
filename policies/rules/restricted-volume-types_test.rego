package kubepolicy.rules.restricted_volume_types_test

import data.kubepolicy.rules.restricted_volume_types as rule

pod(volumes) := {
	"apiVersion": "v1",
	"kind": "Pod",
	"metadata": {"name": "p"},
	"spec": {"containers": [{"name": "web"}], "volumes": volumes},
}

test_allowed_types_pass if {
	count(rule.violations) == 0 with input as pod([
		{"name": "volume0"},
		{"name": "a", "emptyDir": {}},
		{"name": "b", "secret": {"secretName": "s"}},
		{"name": "c", "persistentVolumeClaim": {"claimName": "c"}},
		{"name": "d", "downwardAPI": {"items": []}},
		{"name": "e", "configMap": {"name": "c"}},
		{"name": "f", "projected": {"sources": []}},
		{"name": "g", "csi": {"driver": "d"}},
		{"name": "h", "ephemeral": {"volumeClaimTemplate": {"spec": {}}}},
		{"name": "i", "image": {"reference": "r"}},
	])
}

test_nfs_volume_fails if {
	rule.violations == {{
		"path": ["spec", "volumes", 1, "nfs"],
		"message": "volume \"share\" uses nfs, which is not an allowed volume type (configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected, secret)",
		"fix": [],
	}} with input as pod([{"name": "cfg", "configMap": {"name": "c"}}, {"name": "share", "nfs": {"server": "s", "path": "/"}}])
}

test_every_in_tree_type_fails if {
	types := [
		"gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "nfs", "iscsi", "glusterfs", "rbd",
		"flexVolume", "cinder", "cephfs", "flocker", "fc", "azureFile", "vsphereVolume", "quobyte",
		"azureDisk", "portworxVolume", "scaleIO", "storageos", "photonPersistentDisk",
	]
	every t in types {
		vs := rule.violations with input as pod([{"name": "v", t: {"x": "y"}}])
		{v.path | some v in vs} == {["spec", "volumes", 0, t]}
	}
}

test_scale_io_with_null_secret_ref_fails_once if {
	vs := rule.violations with input as pod([{"name": "v", "scaleIO": {"gateway": "g", "secretRef": null, "system": "s"}}])
	{v.path | some v in vs} == {["spec", "volumes", 0, "scaleIO"]}
}

test_host_path_is_left_to_host_path_volumes if {
	count(rule.violations) == 0 with input as pod([{"name": "h", "hostPath": {"path": "/dev/null"}}])
}

test_null_source_is_no_source if {
	count(rule.violations) == 0 with input as pod([{"name": "v", "nfs": null}])
}

test_odd_values_do_not_error if {
	count(rule.violations) == 0 with input as pod(["nfs", null, {"name": 5}])
	count(rule.violations) == 0 with input as pod(null)
}

test_cronjob_nesting if {
	vs := rule.violations with input as {
		"apiVersion": "batch/v1",
		"kind": "CronJob",
		"metadata": {"name": "c"},
		"spec": {"jobTemplate": {"spec": {"template": {"spec": {
			"containers": [{"name": "job"}],
			"volumes": [{"gitRepo": {"repository": "r"}}],
		}}}}},
	}
	[v.message | some v in vs] == ["volume volumes[0] uses gitRepo, which is not an allowed volume type (configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected, secret)"]
	[v.path | some v in vs] == [["spec", "jobTemplate", "spec", "template", "spec", "volumes", 0, "gitRepo"]]
}
