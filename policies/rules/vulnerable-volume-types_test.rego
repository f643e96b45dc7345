package kubepolicy.rules.vulnerable_volume_types_test

import data.kubepolicy.rules.vulnerable_volume_types as rule

pod(volumes) := {
	"apiVersion": "v1",
	"kind": "Pod",
	"metadata": {"name": "p"},
	"spec": {"containers": [{"name": "web"}], "volumes": volumes},
}

test_glusterfs_volume_fails if {
	rule.violations == {{
		"path": ["spec", "volumes", 1, "glusterfs"],
		"message": "volume \"data\" uses glusterfs, affected by CVE-2020-8555",
		"fix": [],
	}} with input as pod([
		{"name": "cfg", "configMap": {"name": "c"}},
		{"name": "data", "glusterfs": {"endpoints": "e", "path": "p"}},
	])
}

test_each_vulnerable_type_fails if {
	vs := rule.violations with input as pod([
		{"name": "a", "quobyte": {"registry": "r", "volume": "v"}},
		{"name": "b", "storageos": {"volumeName": "v"}},
		{"name": "c", "scaleIO": {"gateway": "g", "system": "s", "secretRef": null}},
	])
	{v.path | some v in vs} == {["spec", "volumes", 0, "quobyte"], ["spec", "volumes", 1, "storageos"], ["spec", "volumes", 2, "scaleIO"]}
}

test_other_volume_types_pass if {
	count(rule.violations) == 0 with input as pod([
		{"name": "a", "nfs": {"server": "s", "path": "/"}},
		{"name": "b", "emptyDir": {}},
		{"name": "c"},
		{"name": "d", "glusterfs": null},
		"not-a-volume",
	])
}

test_unnamed_volume_message if {
	vs := rule.violations with input as pod([{"scaleIO": {}}])
	[v.message | some v in vs] == ["volume volumes[0] uses scaleIO, affected by CVE-2020-8555"]
}

test_cronjob_nesting if {
	vs := rule.violations with input as {
		"apiVersion": "batch/v1",
		"kind": "CronJob",
		"metadata": {"name": "c"},
		"spec": {"jobTemplate": {"spec": {"template": {"spec": {
			"containers": [{"name": "job"}],
			"volumes": [{"name": "g", "glusterfs": {"endpoints": "e", "path": "p"}}],
		}}}}},
	}
	{v.path | some v in vs} == {["spec", "jobTemplate", "spec", "template", "spec", "volumes", 0, "glusterfs"]}
}

test_persistent_volume_fails if {
	rule.violations == {{
		"path": ["spec", "glusterfs"],
		"message": "PersistentVolume uses glusterfs (spec.glusterfs), affected by CVE-2020-8555",
		"fix": [],
	}} with input as {
		"apiVersion": "v1",
		"kind": "PersistentVolume",
		"metadata": {"name": "pv"},
		"spec": {"capacity": {"storage": "1Gi"}, "glusterfs": {"endpoints": "e", "path": "p"}},
	}
}

test_persistent_volume_csi_passes if {
	count(rule.violations) == 0 with input as {
		"apiVersion": "v1",
		"kind": "PersistentVolume",
		"metadata": {"name": "pv"},
		"spec": {"csi": {"driver": "d", "volumeHandle": "h"}},
	}
}

test_storage_class_in_tree_provisioner_fails if {
	rule.violations == {{
		"path": ["provisioner"],
		"message": "StorageClass uses the in-tree provisioner \"kubernetes.io/scaleio\", affected by CVE-2020-8555",
		"fix": [],
	}} with input as {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "s"}, "provisioner": "kubernetes.io/scaleio"}
}

test_storage_class_csi_provisioner_passes if {
	count(rule.violations) == 0 with input as {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "s"}, "provisioner": "ebs.csi.aws.com"}
}

psp(volumes) := {"apiVersion": "policy/v1beta1", "kind": "PodSecurityPolicy", "metadata": {"name": "psp"}, "spec": {"volumes": volumes}}

test_psp_allowing_vulnerable_types_fails if {
	vs := rule.violations with input as psp(["configMap", "quobyte", "*"])
	vs == {
		{"path": ["spec", "volumes", 1], "message": "PodSecurityPolicy allows volume type \"quobyte\" (spec.volumes), affected by CVE-2020-8555", "fix": []},
		{"path": ["spec", "volumes", 2], "message": "PodSecurityPolicy allows volume type \"*\" (spec.volumes), affected by CVE-2020-8555", "fix": []},
	}
}

test_psp_with_safe_volumes_passes if {
	count(rule.violations) == 0 with input as psp(["configMap", "secret", "persistentVolumeClaim"])
}
