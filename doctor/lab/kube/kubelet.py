"""The lab's real kubelet: its KubeletConfiguration, and the private mount namespace that keeps
it off this machine's kernel settings.

At start the kubelet sets six host-wide sysctls (pkg/kubelet/cm/container_manager_linux.go,
setupKernelTunables, v1.36: "Updating kernel flag"). This machine shares its kernel with
others, so the kubelet runs under `unshare --mount` where each of those /proc/sys files is a
bind mount of a lab file holding the host's value: the kubelet reads and writes the lab file,
and the kernel's value never changes. /proc is made private in that namespace so the bind
mounts stay there, while the kubelet's root dir stays a shared mount: the tmpfs it mounts for
secret and projected volumes must reach containerd, which runs in the host's namespace.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

# setupKernelTunables' keys (k8s.io/component-helpers node/util/sysctl), with what it writes.
KERNEL_TUNABLES = {
    "vm/overcommit_memory": 1,
    "vm/panic_on_oom": 0,
    "kernel/panic": 10,
    "kernel/panic_on_oops": 1,
    "kernel/keys/root_maxkeys": 1000000,
    "kernel/keys/root_maxbytes": 25000000,
}
NODE_NAME = "lab-node"
# Deliberately low: the kubelet sees this machine's disk and memory, which other machines and
# tests share; the lab must never evict or collect images because of them. Per-pod limits
# (ephemeral-storage, memory) still apply.
EVICTION_HARD = {
    "memory.available": "100Mi",
    "nodefs.available": "1%",
    "nodefs.inodesFree": "1%",
    "imagefs.available": "1%",
}


def kubelet_config(
    *,
    runtime_endpoint: str,
    cgroup_root: str,
    pod_logs_dir: Path,
    address: str,
    port: int,
    healthz_port: int,
    cgroup_driver: str = "cgroupfs",
    pod_pids_limit: int = -1,
) -> dict[str, Any]:
    """The KubeletConfiguration (kubelet.config.k8s.io/v1beta1) the lab's kubelet runs with."""
    return {
        "apiVersion": "kubelet.config.k8s.io/v1beta1",
        "kind": "KubeletConfiguration",
        "address": address,  # the node IP: the API server's way in for logs and exec
        "port": port,
        "readOnlyPort": 0,
        "healthzBindAddress": "127.0.0.1",
        "healthzPort": healthz_port,
        "containerRuntimeEndpoint": runtime_endpoint,
        "cgroupDriver": cgroup_driver,  # no systemd here; containerd's runc uses cgroupfs too
        "cgroupRoot": cgroup_root,  # the kubepods tree under the lab's own cgroup
        "failCgroupV1": False,  # this machine has cgroup v1 (hybrid); 1.36 refuses it by default
        "failSwapOn": False,
        "makeIPTablesUtilChains": False,  # KUBE-FIREWALL would change this netns' iptables
        "protectKernelDefaults": False,  # it writes them, into the lab's files (see above)
        "podLogsDir": str(pod_logs_dir),
        "authentication": {"anonymous": {"enabled": True}, "webhook": {"enabled": False}},
        "authorization": {"mode": "AlwaysAllow"},  # listening on 127.0.0.1 only
        "evictionHard": EVICTION_HARD,
        "imageGCHighThresholdPercent": 100,  # never: the images are local and cannot be pulled
        "imageGCLowThresholdPercent": 99,
        "resolvConf": "",
        "rotateCertificates": False,
        "serializeImagePulls": False,
        "podPidsLimit": pod_pids_limit,  # -1: none (the default); a scenario lowers it
    }


def write_config(path: Path, config: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(config, indent=2) + "\n")  # JSON is YAML


def private_namespace_command(kubelet_argv: list[str], shadow_dir: Path) -> list[str]:
    """`unshare` running the kubelet with each kernel tunable bind-mounted from `shadow_dir`.

    The shadow files are filled with the host's current values first, so the kubelet reads
    what a node would show and logs the "Updating kernel flag" lines a real node logs.
    """
    steps = ["set -e", "mount --make-rprivate /proc"]
    for key in KERNEL_TUNABLES:
        shadow = shlex.quote(str(shadow_dir / key.replace("/", ".")))
        steps.append(f"cat /proc/sys/{key} > {shadow}")
        steps.append(f"mount --bind {shadow} /proc/sys/{key}")
    steps.append("exec " + shlex.join(kubelet_argv))
    return ["unshare", "--mount", "--propagation", "unchanged", "sh", "-c", "; ".join(steps)]


def kubelet_argv(
    program: str,
    *,
    config: Path,
    kubeconfig: Path,
    root_dir: Path,
    node_ip: str,
    verbosity: int = 2,
) -> list[str]:
    """The kubelet's flags: what a kubeadm node passes, minus the bootstrap."""
    return [
        program,
        f"--config={config}",
        f"--kubeconfig={kubeconfig}",
        f"--hostname-override={NODE_NAME}",
        f"--node-ip={node_ip}",  # not loopback: the kubelet refuses that for a node IP
        f"--root-dir={root_dir}",
        f"--cert-dir={root_dir / 'pki'}",
        f"--v={verbosity}",  # probe results and kernel flags are logged at V(2)
    ]
