"""Where a lab keeps everything, and the containerd config it generates.

One directory holds the lab. Its `host/` is the synthetic host tree passed to `--host-root`:
/proc, /sys and /dev/kmsg link to this machine's, and the lab directory itself is linked at its
own absolute path inside the tree, so every absolute path containerd reports (its config, the
CRI log paths, the snapshotter root) resolves through the host root too.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_LAB_DIR = Path("/var/tmp/stackdoctor-lab")
IMAGE = "localhost/stackdoctor-lab/busybox:1"
NAMESPACE = "k8s.io"
CGROUP_PREFIX = "stackdoctor-lab-"  # a pod's cgroup parent: /stackdoctor-lab-<lab hash>/pod<uid>
CNI_BIN_DIR = "/usr/lib/cni"
# Unix socket paths are limited to 107 bytes.
MAX_SOCKET_PATH = 100


@dataclass(frozen=True)
class Layout:
    """The paths of one lab under its directory."""

    root: Path

    @property
    def bridge(self) -> str:
        """The default network's bridge (made once a pod has its own netns): one per lab dir,
        like the cgroup root, so labs side by side never share or remove each other's."""
        return "sd-" + self.cgroup_root[-8:]

    @property
    def node_ip(self) -> str:
        """The cluster node's own address (a /32 on its bridge): the kubelet refuses a loopback
        node IP, and the API server reaches the kubelet there for `kubectl logs` and `exec`.
        One per lab dir, from the same hash as the bridge, in 10.89.0.0/16, beside the pods'
        10.88.214.0/24; traffic to it never leaves the machine (a local address)."""
        digest = int(self.cgroup_root[-4:], 16)
        return f"10.89.{digest >> 8}.{1 + (digest & 0xFF) % 254}"

    @property
    def tiny_bridge(self) -> str:
        """The tiny-range network's bridge."""
        return "sdt-" + self.cgroup_root[-8:]

    @property
    def cgroup_root(self) -> str:
        """The cgroup (under every hierarchy) holding the lab's pods: one per lab dir, so one
        lab's teardown never touches another's."""
        return CGROUP_PREFIX + hashlib.sha256(str(self.root).encode()).hexdigest()[:8]

    @property
    def host(self) -> Path:
        return self.root / "host"

    @property
    def containerd_dir(self) -> Path:
        return self.root / "containerd"

    @property
    def config(self) -> Path:
        """Where a node keeps it, so it is found also while containerd is not running."""
        return self.host_path("/etc/containerd/config.toml")

    @property
    def socket(self) -> Path:
        return self.root / "run" / "containerd.sock"

    @property
    def address(self) -> str:
        return f"unix://{self.socket}"

    @property
    def runc_root(self) -> Path:
        return self.containerd_dir / "runc"

    @property
    def cni_dir(self) -> Path:
        return self.containerd_dir / "cni"

    @property
    def certs_d(self) -> Path:
        """containerd's registry config_path: one hosts.toml directory per registry host."""
        return self.containerd_dir / "certs.d"

    @property
    def registries(self) -> Path:
        return self.root / "registry"

    @property
    def cni_ipam(self) -> Path:
        """host-local's dataDir (its allocated-address files), instead of /var/lib/cni."""
        return self.containerd_dir / "cni-ipam"

    @property
    def images(self) -> Path:
        return self.root / "images"

    @property
    def state_file(self) -> Path:
        return self.root / "lab.json"

    def host_path(self, absolute: str) -> Path:
        """`/var/log/x` inside the host tree."""
        return self.host / absolute.lstrip("/")

    @property
    def containerd_log(self) -> Path:
        return self.host_path("/var/log/containerd.log")

    @property
    def kubelet_log(self) -> Path:
        return self.host_path("/var/log/kubelet.log")

    @property
    def pod_logs(self) -> Path:
        """The kubelet's /var/log/pods, as an absolute path the CRI can write to."""
        return self.host_path("/var/log/pods")


def check_lab_dir(root: Path) -> str | None:
    """Why `root` cannot hold a lab, or None."""
    if not root.is_absolute():
        return f"the lab directory {root} must be an absolute path"
    if len(str(Layout(root).socket)) > MAX_SOCKET_PATH:
        return f"the lab directory {root} is too long for a unix socket path under it"
    return None


CONFIG = """version = 2
root = "{root}"
state = "{state}"

[grpc]
  address = "{socket}"

[ttrpc]
  address = "{socket}.ttrpc"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{image}"
{restrict}  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
      Root = "{runc_root}"
      SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "{cni_bin}"
    conf_dir = "{cni}"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "{certs_d}"
{registry_auth}"""
REGISTRY_AUTH = """    [plugins."io.containerd.grpc.v1.cri".registry.configs."{host}".auth]
      username = "{username}"
      password = "{password}"
"""
# Processes here may lack CAP_SYS_RESOURCE: without this, runc fails every sandbox with
# "failed to update /proc/self/oom_score_adj: Permission denied" (the oom-score-adj scenario
# leaves it out on purpose).
RESTRICT = "  restrict_oom_score_adj = true\n"

# A conflist on a private subnet, so the runtime reports NetworkReady. The CRI scenarios' pods
# use the host's network; the cluster's pods get a network namespace on its bridge.
CNI_DEFAULT = "default"
CNI_NONE = "none"  # an empty conf dir: cni-config-missing
CNI_MISSING_PLUGIN = "missing-plugin"  # names a plugin type not in bin_dir
CNI_TINY_RANGE = "tiny-range"  # a /30: one pod address (pods get their own netns)
MISSING_PLUGIN = "calico"
TINY_SUBNET = "10.88.215.0/30"


def cni_conflist(layout: Layout, variant: str) -> dict[str, object]:
    subnet, bridge, kind = "10.88.214.0/24", layout.bridge, "bridge"
    if variant == CNI_TINY_RANGE:
        subnet, bridge = TINY_SUBNET, layout.tiny_bridge
    elif variant == CNI_MISSING_PLUGIN:
        kind = MISSING_PLUGIN
    return {
        "cniVersion": "1.0.0",
        "name": "stackdoctor-lab",
        "plugins": [
            {
                "type": kind,
                "bridge": bridge,
                "isGateway": False,
                "ipMasq": False,
                "ipam": {
                    "type": "host-local",
                    "ranges": [[{"subnet": subnet}]],
                    "dataDir": str(layout.cni_ipam),
                },
            }
        ],
    }


def write_containerd_config(
    layout: Layout,
    restrict_oom_score_adj: bool = True,
    cni: str = CNI_DEFAULT,
    sandbox_image: str | None = None,
    registry_auth: tuple[str, str, str] | None = None,
) -> None:
    """containerd's config.toml and the CNI conf dir, under the lab's containerd dir: the CNI
    `variant` (CNI_NONE leaves the conf dir empty), the sandbox image, and a registry
    credential (host, username, password) in the CRI's registry.configs section."""
    for path in (layout.config.parent, layout.cni_dir, layout.socket.parent, layout.certs_d):
        path.mkdir(parents=True, exist_ok=True)
    conflist = layout.cni_dir / "10-stackdoctor-lab.conflist"
    if cni != CNI_NONE:
        conflist.write_text(json.dumps(cni_conflist(layout, cni), indent=2) + "\n")
    else:
        conflist.unlink(missing_ok=True)
    auth = ""
    if registry_auth:
        host, username, password = registry_auth
        auth = REGISTRY_AUTH.format(host=host, username=username, password=password)
    text = CONFIG.format(
        root=layout.containerd_dir / "root",
        state=layout.containerd_dir / "state",
        socket=layout.socket,
        image=sandbox_image or IMAGE,
        restrict=RESTRICT if restrict_oom_score_adj else "",
        runc_root=layout.runc_root,
        cni_bin=CNI_BIN_DIR,
        cni=layout.cni_dir,
        certs_d=layout.certs_d,
        registry_auth=auth,
    )
    tmp = layout.config.with_suffix(".tmp")
    tmp.write_text(text)
    os.replace(tmp, layout.config)
