"""A small, read-only CRI client over a unix socket: v1, else v1alpha2, every call bounded.

Only the RPCs stackdoctor reads with exist here (no RunPodSandbox, no Stop/Remove/Exec...).
Every call carries a deadline, so a runtime whose socket accepts but never answers costs at
most the timeout. gRPC failures become `CriCallError`, carrying the layer status they mean and
the gRPC error text as the runtime (or grpc) gave it.
"""

from __future__ import annotations

import errno
import importlib
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar, cast

import grpc  # type: ignore[import-untyped]

from doctor.errors import GatherError
from doctor.gather.cri.codes import status_for
from doctor.gather.cri.generated.runtime.v1 import api_pb2 as v1  # the types every answer has
from doctor.layers import LayerStatus

log = logging.getLogger(__name__)

# What the kubelet sends in VersionRequest (kubeRuntimeAPIVersion).
KUBE_RUNTIME_API_VERSION = "0.1.0"

# The messages of both versions share the names and numbers of every field read here, so the
# client hands out v1alpha2 messages typed as their v1 twins. Each API's stubs are imported
# only when it is used (~15 ms each): most runtimes never need v1alpha2.
API_MODULES: Mapping[str, str] = {
    "v1": "doctor.gather.cri.generated.runtime.v1",
    "v1alpha2": "doctor.gather.cri.generated.runtime.v1alpha2",
}


def api_modules(api: str) -> tuple[ModuleType, ModuleType]:
    package = API_MODULES[api]
    return importlib.import_module(f"{package}.api_pb2"), importlib.import_module(
        f"{package}.api_pb2_grpc"
    )


T = TypeVar("T")

IMAGE_RPCS = frozenset({"ImageStatus", "ImageFsInfo"})


class CriCallError(GatherError):
    """A CRI call failed; `status` is what it means for the cri layer, `text` the gRPC text."""

    def __init__(self, rpc: str, status: LayerStatus, text: str, code: str | None = None) -> None:
        super().__init__(f"{rpc}: {text}")
        self.rpc = rpc
        self.status = status
        self.text = text
        self.code = code


def grpc_text(code_name: str, details: str | None) -> str:
    """The gRPC error as Go clients print it: `rpc error: code = Unavailable desc = ...`."""
    camel = "".join(part.capitalize() for part in code_name.split("_"))
    return f"rpc error: code = {camel} desc = {details or ''}"


def call_error(rpc: str, exc: grpc.RpcError) -> CriCallError:
    code = exc.code() if callable(getattr(exc, "code", None)) else None
    name = code.name if code is not None else "UNKNOWN"
    details = exc.details() if callable(getattr(exc, "details", None)) else str(exc)
    status = status_for(name, details)
    return CriCallError(rpc, status, grpc_text(name, details), name)


class CriClient:
    """One channel to one runtime. Call `negotiate()` first; then the read-only RPCs."""

    def __init__(self, address: str, target: Path, timeout: float) -> None:
        self.address = address  # as the host names it, for messages
        self.target = target  # the socket path reachable from here (under the host root)
        self.timeout = timeout
        self.api_version: str | None = None
        self._channel: Any = None
        self._runtime: Any = None
        self._image: Any = None
        self._pb: ModuleType = v1

    def __enter__(self) -> CriClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._channel is not None:
            self._channel.close()
            self._channel = None

    def _open(self) -> Any:
        if self._channel is None:
            self._check_socket()
            self._channel = grpc.insecure_channel(f"unix:{self.target}")
        return self._channel

    def _check_socket(self) -> None:
        """EACCES on the socket is a permission problem, not an unreachable runtime."""
        try:
            os.stat(self.target)
        except OSError as exc:
            if exc.errno in (errno.EACCES, errno.EPERM):
                raise CriCallError(
                    "connect", LayerStatus.PERMISSION_DENIED, f"{self.address}: {exc.strerror}"
                ) from exc
            return  # a missing socket: let grpc say so, in its own words
        if not os.access(self.target, os.R_OK | os.W_OK):
            raise CriCallError(
                "connect", LayerStatus.PERMISSION_DENIED, f"{self.address}: Permission denied"
            )

    def _use(self, api: str) -> None:
        pb, stubs = api_modules(api)

        channel = self._open()
        self._pb = pb
        self._runtime = stubs.RuntimeServiceStub(channel)
        self._image = stubs.ImageServiceStub(channel)

    def _call(self, rpc: str, request: Any, answer: type[T]) -> T:
        """One RPC with the deadline; `answer` only types the response."""
        service = self._image if rpc in IMAGE_RPCS else self._runtime
        try:
            return cast(T, getattr(service, rpc)(request, timeout=self.timeout))
        except grpc.RpcError as exc:
            raise call_error(rpc, exc) from None

    def negotiate(self) -> v1.VersionResponse:
        """Version over v1; on UNIMPLEMENTED over v1alpha2. Records `api_version`."""
        self._use("v1")
        try:
            answer = self.version()
        except CriCallError as exc:
            if exc.code != "UNIMPLEMENTED":
                raise
            log.debug("CRI v1 not served at %s (%s); trying v1alpha2", self.address, exc.text)
            self._use("v1alpha2")
            try:
                answer = self.version()
            except CriCallError as old:
                if old.code == "UNIMPLEMENTED":
                    raise CriCallError(
                        "Version",
                        LayerStatus.UNSUPPORTED,
                        f"neither runtime.v1 nor runtime.v1alpha2 is served: {exc.text}",
                        old.code,
                    ) from None
                raise
            self.api_version = "v1alpha2"
            return answer
        self.api_version = "v1"
        return answer

    def version(self) -> v1.VersionResponse:
        request = self._pb.VersionRequest(version=KUBE_RUNTIME_API_VERSION)
        return self._call("Version", request, v1.VersionResponse)

    def status(self, verbose: bool = True) -> v1.StatusResponse:
        request = self._pb.StatusRequest(verbose=verbose)
        return self._call("Status", request, v1.StatusResponse)

    def list_pod_sandbox(
        self, labels: Mapping[str, str] | None = None, sandbox_id: str | None = None
    ) -> list[v1.PodSandbox]:
        """Sandboxes whose labels equal `labels` exactly (and whose id is `sandbox_id`)."""
        filter_ = self._pb.PodSandboxFilter(label_selector=dict(labels or {}), id=sandbox_id or "")
        request = self._pb.ListPodSandboxRequest(filter=filter_)
        return list(self._call("ListPodSandbox", request, v1.ListPodSandboxResponse).items)

    def pod_sandbox_status(self, sandbox_id: str) -> v1.PodSandboxStatusResponse:
        request = self._pb.PodSandboxStatusRequest(pod_sandbox_id=sandbox_id, verbose=True)
        return self._call("PodSandboxStatus", request, v1.PodSandboxStatusResponse)

    def list_containers(self, sandbox_id: str) -> list[v1.Container]:
        """Every container of the sandbox, in any state, every attempt."""
        request = self._pb.ListContainersRequest(
            filter=self._pb.ContainerFilter(pod_sandbox_id=sandbox_id)
        )
        answer = self._call("ListContainers", request, v1.ListContainersResponse)
        return list(answer.containers)

    def container_status(self, container_id: str) -> v1.ContainerStatusResponse:
        request = self._pb.ContainerStatusRequest(container_id=container_id, verbose=True)
        return self._call("ContainerStatus", request, v1.ContainerStatusResponse)

    def container_stats(self, container_id: str) -> v1.ContainerStatsResponse:
        request = self._pb.ContainerStatsRequest(container_id=container_id)
        return self._call("ContainerStats", request, v1.ContainerStatsResponse)

    def image_fs_info(self) -> v1.ImageFsInfoResponse:
        return self._call("ImageFsInfo", self._pb.ImageFsInfoRequest(), v1.ImageFsInfoResponse)

    def image_status(self, image: str) -> v1.ImageStatusResponse:
        request = self._pb.ImageStatusRequest(image=self._pb.ImageSpec(image=image), verbose=True)
        return self._call("ImageStatus", request, v1.ImageStatusResponse)
