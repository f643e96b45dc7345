package kubepolicy.rules.docker_socket_mount_test

import data.kubepolicy.rules.docker_socket_mount

pod(volumes) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "web"}], "volumes": volumes}}

host(name, path) := {"name": name, "hostPath": {"path": path}}

listed := [
	"/var/run/docker.sock", "/run/docker.sock", "/var/run", "/run", "/var/run/docker",
	"/run/containerd/containerd.sock", "/run/containerd", "/var/run/crio/crio.sock",
	"/var/run/cri-dockerd.sock", "/",
]

test_docker_socket_fails if {
	vs := docker_socket_mount.violations with input as pod([host("docker", "/var/run/docker.sock")])
	vs == {{
		"path": ["spec", "volumes", 0, "hostPath", "path"],
		"message": "volume \"docker\" mounts the container runtime socket /var/run/docker.sock from the host",
		"fix": [],
	}}
}

test_socket_directory_fails if {
	vs := docker_socket_mount.violations with input as pod([{"name": "tmp", "emptyDir": {}}, host("run", "/var/run")])
	vs == {{
		"path": ["spec", "volumes", 1, "hostPath", "path"],
		"message": "volume \"run\" mounts /var/run from the host, a directory that contains the container runtime socket",
		"fix": [],
	}}
}

test_every_listed_path_fails if {
	every p in listed {
		count(docker_socket_mount.violations) == 1 with input as pod([host("v", p)])
	}
}

test_var_run_and_run_are_the_same_directory if {
	aliased := {
		"/run/crio/crio.sock": "mounts the container runtime socket /run/crio/crio.sock from the host",
		"/run/cri-dockerd.sock": "mounts the container runtime socket /run/cri-dockerd.sock from the host",
		"/var/run/containerd/containerd.sock": "mounts the container runtime socket /var/run/containerd/containerd.sock from the host",
		"/var/run/containerd/": "mounts /var/run/containerd from the host, a directory that contains the container runtime socket",
	}
	every raw, what in aliased {
		vs := docker_socket_mount.violations with input as pod([host("v", raw)])
		{v.message | some v in vs} == {sprintf("volume \"v\" %s%s", [what, suffix(raw)])}
	}
}

suffix(raw) := " (hostPath.path \"/var/run/containerd/\")" if raw == "/var/run/containerd/"

else := ""

test_other_host_paths_pass if {
	others := [
		"/var/lib/docker", "/var/run/docker.sock.bak", "/var/runner", "/var", "/data", "/run/secrets/x",
		"/var/run/secrets/kubernetes.io", "var/run/docker.sock", "", "/etc/containerd", "/run/crio",
		"/run/podman/podman.sock", "/run/k3s/containerd/containerd.sock", "/runx/docker.sock", "/var/runc",
	]
	every p in others {
		count(docker_socket_mount.violations) == 0 with input as pod([host("v", p)])
	}
}

test_normalised_paths_fail if {
	variants := {
		"/var/run/docker.sock/": "/var/run/docker.sock",
		"//var//run///docker.sock": "/var/run/docker.sock",
		"/var/./run/docker.sock": "/var/run/docker.sock",
		"/var/lib/../run/docker.sock": "/var/run/docker.sock",
		"/var/lib/docker/../../run/./docker.sock": "/var/run/docker.sock",
		"/../../run/containerd/": "/run/containerd",
		"/etc/..": "/",
		"//": "/",
		"/.": "/",
	}
	every raw, clean in variants {
		vs := docker_socket_mount.violations with input as pod([host("v", raw)])
		some v in vs
		count(vs) == 1
		v.path == ["spec", "volumes", 0, "hostPath", "path"]
		endswith(v.message, sprintf("(hostPath.path %q)", [raw]))
		contains(v.message, sprintf(" %s from the host", [clean]))
	}
}

test_deployment_path if {
	deploy := {
		"apiVersion": "apps/v1",
		"kind": "Deployment",
		"spec": {"template": {"spec": {"volumes": [host("a", "/tmp"), host("sock", "/run/containerd/containerd.sock")]}}},
	}
	vs := docker_socket_mount.violations with input as deploy
	{v.path | some v in vs} == {["spec", "template", "spec", "volumes", 1, "hostPath", "path"]}
}

test_cronjob_nesting if {
	cronjob := {
		"apiVersion": "batch/v1",
		"kind": "CronJob",
		"spec": {"jobTemplate": {"spec": {"template": {"spec": {"volumes": [host("sock", "/var/run/crio/crio.sock")]}}}}},
	}
	vs := docker_socket_mount.violations with input as cronjob
	{v.path | some v in vs} == {["spec", "jobTemplate", "spec", "template", "spec", "volumes", 0, "hostPath", "path"]}
}

test_unnamed_volume_is_named_by_position if {
	vs := docker_socket_mount.violations with input as pod([{"hostPath": {"path": "/run/docker.sock"}}])
	{v.message | some v in vs} == {"volume \"volumes[0]\" mounts the container runtime socket /run/docker.sock from the host"}
}

test_odd_types_do_not_fire if {
	count(docker_socket_mount.violations) == 0 with input as pod([{"name": "a", "hostPath": "/var/run/docker.sock"}])
	count(docker_socket_mount.violations) == 0 with input as pod([host("a", 5), host("b", null), "x", null])
	count(docker_socket_mount.violations) == 0 with input as pod("/var/run/docker.sock")
}

test_psp_is_not_checked if {
	psp := {"apiVersion": "policy/v1beta1", "kind": "PodSecurityPolicy", "spec": {"allowedHostPaths": [{"pathPrefix": "/var/run"}]}}
	count(docker_socket_mount.violations) == 0 with input as psp
}
