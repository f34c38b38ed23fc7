"""The live CRI tests' view of a lab (doctor/lab): the pods they need, made the kubelet's way.

The lab starts and tears down containerd; this adapter only keeps the names the tests use.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from doctor.lab.config import IMAGE
from doctor.lab.cri import wait_exited
from doctor.lab.runtime import Lab, Pod, Resources, unavailable_reason

__all__ = ["IMAGE", "Containerd", "Pod", "private_containerd", "unavailable_reason"]


@dataclass
class Containerd:
    """A running lab, seen as the containerd the live tests talk to."""

    lab: Lab

    @property
    def workdir(self) -> Path:
        return self.lab.layout.containerd_dir

    @property
    def socket(self) -> Path:
        return self.lab.layout.socket

    @property
    def address(self) -> str:
        return self.lab.layout.address

    @property
    def runc_root(self) -> Path:
        return self.lab.layout.runc_root

    @property
    def cgroup_parent(self) -> str:
        return f"/{self.lab.layout.cgroup_root}"

    def run_pod(self, name: str, namespace: str = "default", uid: str | None = None) -> Pod:
        return self.lab.run_pod(name, namespace, uid)

    def rerun_sandbox(self, pod: Pod, attempt: int) -> Pod:
        """A new sandbox for the same pod, as the kubelet makes after the old one died."""
        config = self.lab.sandbox_config(pod.name, pod.namespace, pod.uid, attempt)
        with self.lab.client() as client:
            sandbox_id = client.run_sandbox(config)
        return Pod(pod.name, pod.namespace, pod.uid, sandbox_id, config)

    def run_container(
        self, pod: Pod, name: str, command: list[str], attempt: int = 0, memory_limit: int = 0
    ) -> str:
        resources = Resources(cpu_quota=50000, cpu_shares=512, memory_limit_bytes=memory_limit)
        config = self.lab.container_config(pod, name, command, attempt, resources)
        return self.lab.create_and_start(pod, config)

    def wait_exited(self, container_id: str, timeout: float = 20) -> None:
        wait_exited(self.socket, container_id, timeout)

    def stop_pod(self, pod: Pod) -> None:
        with self.lab.client() as client:
            client.stop_sandbox(pod.sandbox_id)


@contextlib.contextmanager
def private_containerd() -> Iterator[Containerd]:
    """A started lab in a fresh directory, torn down (and checked to be gone) afterwards."""
    root = Path(tempfile.mkdtemp(prefix="sd-live-", dir="/tmp"))  # short: socket path limit
    lab = Lab(root)
    try:
        lab.up(cluster=False)  # containerd alone: the tests make pods through the CRI
        yield Containerd(lab)
    finally:
        lab.down()  # raises when anything is left behind
        shutil.rmtree(root, ignore_errors=True)
