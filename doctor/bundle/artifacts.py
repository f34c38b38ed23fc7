"""The raw files behind a facts document, re-read for a support bundle.

The facts say what stackdoctor concluded; the artifacts let an engineer check it: the configs
and logs it read, the CNI configs, the runtime state files of the pod's containers and the tail
of their logs. Every read is bounded, and what could not be read is listed, never fatal.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from doctor.gather.host import Host

LOG_TAIL_BYTES = 8 << 20  # per node log; the bundle's --max-size trims further, oldest first
CONTAINER_LOG_BYTES = 1 << 20
FILE_LIMIT = 1 << 20  # configs and state files

FIXED_FILES = (
    "/var/lib/kubelet/kubeadm-flags.env",
    "/etc/default/kubelet",
    "/etc/sysconfig/kubelet",
    "/etc/crictl.yaml",
    "/etc/systemd/system/kubelet.service.d/10-kubeadm.conf",
    "/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf",
)
NODE_LOGS = ("/var/log/kubelet.log", "/var/log/containerd.log")


@dataclass
class Artifacts:
    files: dict[str, bytes] = field(default_factory=dict)
    missing: list[dict[str, str]] = field(default_factory=list)  # {path, reason}


def collect_artifacts(document: dict[str, Any], host: Host) -> Artifacts:
    found = Artifacts()
    for path, limit, tail in _wanted(document):
        if not host.exists(path):
            continue  # optional files: absent is normal, not worth listing
        try:
            data = host.read_tail(path, limit).data if tail else host.read_bytes(path, limit)
        except OSError as exc:
            found.missing.append({"path": path, "reason": exc.strerror or str(exc)})
            continue
        found.files[f"host{path}"] = data
    found.files["cri/status.json"] = _cri_summary(document)
    return found


def _wanted(document: dict[str, Any]) -> Iterator[tuple[str, int, bool]]:
    """(host path, byte bound, read the tail?) for every file worth keeping, without repeats."""
    layers = document["layers"]
    seen: set[str] = set()
    candidates: list[tuple[str | None, int, bool]] = [(p, FILE_LIMIT, False) for p in FIXED_FILES]
    candidates += [(layers["kubelet"].get("config_path"), FILE_LIMIT, False)]
    candidates += [(layers["containerd"].get("config_path"), FILE_LIMIT, False)]
    cni = layers["containerd"].get("cni") or {}
    conf_dir = cni.get("conf_dir")
    for config in cni.get("configs") or []:
        if conf_dir:
            candidates.append((f"{conf_dir.rstrip('/')}/{config['file']}", FILE_LIMIT, False))
    candidates += [(path, LOG_TAIL_BYTES, True) for path in NODE_LOGS]
    runc_root = layers["runc"].get("root")
    for pod in document["pods"]:
        for container in pod["containers"]:
            if runc_root and container.get("id"):
                state = f"{runc_root.rstrip('/')}/{container['id']}/state.json"
                candidates.append((state, FILE_LIMIT, False))
            if container.get("log_path"):
                candidates.append((container["log_path"], CONTAINER_LOG_BYTES, True))
    for path, limit, tail in candidates:
        if path and path.startswith("/") and path not in seen:
            seen.add(path)
            yield path, limit, tail


def _cri_summary(document: dict[str, Any]) -> bytes:
    """What the CRI answered, as one file (the facts hold it too; this is for reading)."""
    cri = document["layers"]["cri"]
    return (json.dumps(cri, indent=2, ensure_ascii=False) + "\n").encode()
