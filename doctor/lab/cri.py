"""The lab's mutating CRI client: the calls the kubelet makes to run pods (never in doctor/gather).

Messages come from protos/lab/cri_admin.proto (generated into doctor/lab/generated); the calls
go to the runtime.v1 method paths, which accept them because field numbers match cri-api's.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import grpc  # type: ignore[import-untyped]

from doctor.lab.generated import cri_admin_pb2 as m

RUNTIME = "/runtime.v1.RuntimeService/"
IMAGES = "/runtime.v1.ImageService/"
CALL_TIMEOUT = 60.0
EXITED = 2  # runtime.v1 ContainerState CONTAINER_EXITED


class AdminClient:
    """RunPodSandbox, CreateContainer, StartContainer, Stop/RemovePodSandbox over one channel."""

    def __init__(self, socket: Path) -> None:
        self.socket = socket
        self._channel = grpc.insecure_channel(f"unix:{socket}")

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> AdminClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(
        self, method: str, request: Any, response: Any, timeout: float, service: str = RUNTIME
    ) -> Any:
        call = self._channel.unary_unary(
            service + method,
            request_serializer=type(request).SerializeToString,
            response_deserializer=response.FromString,
        )
        return call(request, timeout=timeout)

    def run_sandbox(self, config: m.PodSandboxConfig) -> str:
        request = m.RunPodSandboxRequest(config=config)
        answer = self._call("RunPodSandbox", request, m.RunPodSandboxResponse, CALL_TIMEOUT)
        return str(answer.pod_sandbox_id)

    def create_container(
        self, sandbox_id: str, config: m.ContainerConfig, sandbox: m.PodSandboxConfig
    ) -> str:
        request = m.CreateContainerRequest(
            pod_sandbox_id=sandbox_id, config=config, sandbox_config=sandbox
        )
        answer = self._call("CreateContainer", request, m.CreateContainerResponse, CALL_TIMEOUT)
        return str(answer.container_id)

    def start_container(self, container_id: str) -> None:
        request = m.StartContainerRequest(container_id=container_id)
        self._call("StartContainer", request, m.StartContainerResponse, CALL_TIMEOUT)

    def pull_image(
        self, image: str, sandbox: m.PodSandboxConfig, auth: m.AuthConfig | None = None
    ) -> str:
        """PullImage as the kubelet makes it (with the pod's sandbox config and, from an
        imagePullSecret, credentials); the image ref."""
        request = m.PullImageRequest(
            image=m.ImageSpec(image=image), auth=auth, sandbox_config=sandbox
        )
        answer = self._call("PullImage", request, m.PullImageResponse, CALL_TIMEOUT, IMAGES)
        return str(answer.image_ref)

    def stop_sandbox(self, sandbox_id: str, timeout: float = 30) -> None:
        request = m.StopPodSandboxRequest(pod_sandbox_id=sandbox_id)
        self._call("StopPodSandbox", request, m.StopPodSandboxResponse, timeout)

    def remove_sandbox(self, sandbox_id: str, timeout: float = 30) -> None:
        request = m.RemovePodSandboxRequest(pod_sandbox_id=sandbox_id)
        self._call("RemovePodSandbox", request, m.RemovePodSandboxResponse, timeout)


def wait_exited(socket: Path, container_id: str, timeout: float = 30) -> None:
    """Until the CRI reports the container exited (containerd handled its exit event)."""
    from doctor.gather.cri.client import CriClient

    deadline = time.monotonic() + timeout
    with CriClient(f"unix://{socket}", socket, 5) as client:
        client.negotiate()
        while time.monotonic() < deadline:
            if client.container_status(container_id).status.state == EXITED:
                return
            time.sleep(0.1)
    raise TimeoutError(f"container {container_id} still runs after {timeout:.0f}s")


def sandbox_ids(socket: Path) -> list[str]:
    """Every sandbox the runtime lists (for teardown)."""
    from doctor.gather.cri.client import CriClient

    with CriClient(f"unix://{socket}", socket, 10) as client:
        client.negotiate()
        return [sandbox.id for sandbox in client.list_pod_sandbox()]


def runtime_state(socket: Path) -> dict[str, Any]:
    """Every sandbox and container the runtime lists, with its state and attempt (to compare
    before and after something that must only read)."""
    from doctor.gather.cri.client import CriClient

    state: dict[str, Any] = {}
    with CriClient(f"unix://{socket}", socket, 10) as client:
        client.negotiate()
        for sandbox in client.list_pod_sandbox():
            containers = {
                c.id: (c.metadata.name, c.metadata.attempt, int(c.state), c.created_at)
                for c in client.list_containers(sandbox.id)
            }
            state[sandbox.id] = {
                "pod": (sandbox.metadata.namespace, sandbox.metadata.name),
                "attempt": sandbox.metadata.attempt,
                "state": int(sandbox.state),
                "created_at": sandbox.created_at,
                "containers": containers,
            }
    return state
