# METADATA
# title: Pods must not mount the container runtime socket
# description: >-
#   The container runtime socket (Docker, containerd, CRI-O, cri-dockerd) is an unauthenticated root API
#   to the node: whoever can write to it can start a privileged container with the host's root file
#   system mounted, and so owns the node and every workload on it. Mounting the socket, or a directory
#   that contains it such as /var/run, /run or the host root, hands that power to the pod and to anyone
#   who compromises it. Build tools and agents that want the runtime API should use a rootless builder
#   or a dedicated, isolated node instead.
# custom:
#   id: docker-socket-mount
#   severity: critical
#   profiles: [default]
#   pss: []
#   terrascan: [AC_K8S_0088]
#   fixable: false
#   kinds: [workloads]
#   reads: ["**.volumes"]
#   supersedes: [host-path-volumes]
#   passes: >-
#     No hostPath volume points at a container runtime socket or a directory containing one
#     (/var/run/docker.sock, /run/docker.sock, /var/run, /run, /var/run/docker,
#     /run/containerd/containerd.sock, /run/containerd, /var/run/crio/crio.sock,
#     /var/run/cri-dockerd.sock, /), after normalising the path (//, ., .., trailing /), with /var/run
#     and /run taken as the same directory (/run/crio/crio.sock is /var/run/crio/crio.sock).
#   fix: None, the workload depends on the mount; suppress the finding with a reason if it truly needs the runtime API.
package kubepolicy.rules.docker_socket_mount

import data.kubepolicy.lib

sockets := {
	"/var/run/docker.sock",
	"/run/docker.sock",
	"/run/containerd/containerd.sock",
	"/var/run/crio/crio.sock",
	"/var/run/cri-dockerd.sock",
}

# Directories that contain a runtime socket.
socket_dirs := {"/var/run", "/run", "/var/run/docker", "/run/containerd", "/"}

# /var/run is a symlink to /run on every current distribution: /run/crio/crio.sock is the listed
# /var/run/crio/crio.sock, so each listed path matches under either prefix.
aliases(p) := {p, concat("", ["/run", substring(p, 8, -1)])} if startswith(p, "/var/run/")

aliases(p) := {p, concat("", ["/var/run", substring(p, 4, -1)])} if startswith(p, "/run/")

aliases(p) := {p} if {
	not startswith(p, "/var/run/")
	not startswith(p, "/run/")
}

violations contains v if {
	some pod in lib.pods
	volumes := pod.spec.volumes
	is_array(volumes)
	some i, volume in volumes
	raw := volume.hostPath.path
	clean := lib.clean_path(raw)
	some listed in aliases(clean)
	listed in (sockets | socket_dirs)
	v := {
		"path": array.concat(pod.path, ["volumes", i, "hostPath", "path"]),
		"message": sprintf("volume %q %s%s", [volume_name(volume, i), what(listed, clean), as_written(raw, clean)]),
		"fix": [],
	}
}

volume_name(volume, i) := name if {
	name := volume.name
	is_string(name)
} else := sprintf("volumes[%d]", [i])

what(listed, p) := sprintf("mounts the container runtime socket %s from the host", [p]) if listed in sockets

what(listed, p) := sprintf("mounts %s from the host, a directory that contains the container runtime socket", [p]) if {
	listed in socket_dirs
}

as_written(raw, clean) := "" if raw == clean

as_written(raw, clean) := sprintf(" (hostPath.path %q)", [raw]) if raw != clean
