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
"""
# Processes here may lack CAP_SYS_RESOURCE: without this, runc fails every sandbox with
# "failed to update /proc/self/oom_score_adj: Permission denied" (the oom-score-adj scenario
# leaves it out on purpose).
RESTRICT = "  restrict_oom_score_adj = true\n"

# A conflist on a private subnet, so the runtime reports NetworkReady; the lab's pods use the
# host's network, so no bridge, veth or network namespace is ever made from it.
CNI_CONFLIST = {
    "cniVersion": "1.0.0",
    "name": "stackdoctor-lab",
    "plugins": [
        {
            "type": "bridge",
            "bridge": "sdlab0",
            "isGateway": False,
            "ipMasq": False,
            "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.88.214.0/24"}]]},
        }
    ],
}


def write_containerd_config(
    layout: Layout, restrict_oom_score_adj: bool = True, cni_config: bool = True
) -> None:
    """containerd's config.toml and the CNI conf dir, under the lab's containerd dir (left
    empty without `cni_config`: the cni-config-missing scenario)."""
    for path in (layout.config.parent, layout.cni_dir, layout.socket.parent):
        path.mkdir(parents=True, exist_ok=True)
    conflist = layout.cni_dir / "10-stackdoctor-lab.conflist"
    if cni_config:
        conflist.write_text(json.dumps(CNI_CONFLIST, indent=2) + "\n")
    else:
        conflist.unlink(missing_ok=True)
    text = CONFIG.format(
        root=layout.containerd_dir / "root",
        state=layout.containerd_dir / "state",
        socket=layout.socket,
        image=IMAGE,
        restrict=RESTRICT if restrict_oom_score_adj else "",
        runc_root=layout.runc_root,
        cni_bin=CNI_BIN_DIR,
        cni=layout.cni_dir,
    )
    tmp = layout.config.with_suffix(".tmp")
    tmp.write_text(text)
    os.replace(tmp, layout.config)
