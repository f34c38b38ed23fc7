"""The kubelet's side of the node, written for `--host-root`, because no kubelet runs here.

The host tree gets what a kubeadm node has (/var/lib/kubelet/config.yaml, kubeadm-flags.env,
/var/log/pods) and a kubelet log whose lines use the kubelet's real klog layout and messages
(`Lmmdd hh:mm:ss.uuuuuu <pid> file.go:NNN] "msg" key="value"`) for what the lab did. A stand-in
process named `kubelet` (a sleeping Python, argv[0] `kubelet`) makes the node look like one
whose kubelet runs; its command line carries the flags a kubeadm kubelet has.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from doctor.lab.config import Layout

KUBELET_VERSION = "v1.30.4"
CONFIG_YAML = """apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: cgroupfs
containerRuntimeEndpoint: {endpoint}
healthzPort: 0
podLogsDir: /var/log/pods
"""
FLAGS_ENV = 'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint={endpoint}"\n'
# The stand-in's program: sleep until signalled; the flags after it are only for show.
STAND_IN = "import signal; signal.pause()"


def build_host_tree(layout: Layout, stand_in_files: bool = True) -> None:
    """The host tree's links to this machine and (for the stand-in) the kubelet's files; a
    real kubelet writes its own."""
    host = layout.host
    for directory in ("dev", "var/lib/kubelet", "var/log/pods", "etc"):
        (host / directory).mkdir(parents=True, exist_ok=True)
    links = {
        host / "proc": Path("/proc"),
        host / "sys": Path("/sys"),
        host / "dev" / "kmsg": Path("/dev/kmsg"),
        # the CNI plugins containerd's config names (bin_dir)
        host / "usr" / "lib" / "cni": Path("/usr/lib/cni"),
        # the lab at its own absolute path, so paths containerd reports resolve in the tree
        layout.host_path(str(layout.root)): layout.root,
    }
    for link, target in links.items():
        link.parent.mkdir(parents=True, exist_ok=True)
        if not link.is_symlink():
            link.symlink_to(target)
    (host / "etc" / "hostname").write_text("stackdoctor-lab\n")
    layout.kubelet_log.touch()
    if not stand_in_files:
        return
    endpoint = layout.address
    layout.host_path("/var/lib/kubelet/config.yaml").write_text(
        CONFIG_YAML.format(endpoint=endpoint)
    )
    layout.host_path("/var/lib/kubelet/kubeadm-flags.env").write_text(
        FLAGS_ENV.format(endpoint=endpoint)
    )


def start_stand_in(layout: Layout) -> int:
    """The process named kubelet; its pid. It outlives this process (own session)."""
    argv = [
        "kubelet",
        "-c",
        STAND_IN,
        "--config=/var/lib/kubelet/config.yaml",
        f"--container-runtime-endpoint={layout.address}",
        f"--root-dir={layout.root}/kubelet",  # names the lab dir: teardown finds it by this
    ]
    process = subprocess.Popen(
        argv,
        executable=sys.executable,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    return process.pid


class KubeletLog:
    """Appends klog lines to the host tree's /var/log/kubelet.log, as the kubelet's pid."""

    def __init__(self, layout: Layout, pid: int) -> None:
        self.path = layout.kubelet_log
        self.pid = pid

    def write(self, severity: str, source: str, message: str, **fields: str) -> None:
        now = datetime.now()
        header = f"{severity}{now:%m%d %H:%M:%S}.{now.microsecond:06d} {self.pid:>7} {source}]"
        pairs = "".join(f" {key}={quote(value)}" for key, value in fields.items())
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(f"{header} {quote(message)}{pairs}\n")
            handle.flush()
            os.fsync(handle.fileno())

    def started(self) -> None:
        self.write("I", "server.go:484", "Kubelet version", kubeletVersion=KUBELET_VERSION)


def quote(text: str) -> str:
    """klog's structured values: Go's %q of a string."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def pod_ref(name: str, namespace: str, uid: str) -> str:
    """The kubelet's format.Pod: name_namespace(uid)."""
    return f"{name}_{namespace}({uid})"
