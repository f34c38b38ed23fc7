"""An in-process CRI runtime for unit tests: canned sandboxes and containers served over a unix
socket by grpc, with the label-selector semantics of containerd (every label must be equal)."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from concurrent import futures
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import grpc

from doctor.gather.cri.generated.runtime.v1 import api_pb2 as v1
from doctor.gather.cri.generated.runtime.v1 import api_pb2_grpc as v1_grpc
from doctor.gather.cri.generated.runtime.v1alpha2 import api_pb2 as v1alpha2
from doctor.gather.cri.generated.runtime.v1alpha2 import api_pb2_grpc as v1alpha2_grpc

SECOND = 1_000_000_000
T0 = 1_767_225_600 * SECOND  # 2026-01-01T00:00:00Z


@dataclass
class FakeRuntime:
    """What the fake runtime knows; tests fill it, then serve it."""

    sandboxes: list[dict[str, Any]] = field(default_factory=list)
    containers: list[dict[str, Any]] = field(default_factory=list)
    status_info: dict[str, str] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    def sandbox(
        self,
        name: str,
        namespace: str = "default",
        uid: str = "uid-1",
        sid: str = "a1",
        created: int = 0,
        ready: bool = True,
    ) -> str:
        self.sandboxes.append(
            {
                "id": sid,
                "name": name,
                "namespace": namespace,
                "uid": uid,
                "created": created,
                "ready": ready,
            }
        )
        return sid

    def container(self, sandbox: str, name: str, attempt: int = 0, cid: str = "", **kw: Any) -> str:
        cid = cid or f"{sandbox}-{name}-{attempt}"
        self.containers.append(
            {"id": cid, "sandbox": sandbox, "name": name, "attempt": attempt, **kw}
        )
        return cid


def _servicers(pb: ModuleType, stubs: ModuleType, runtime: FakeRuntime) -> tuple[Any, Any]:
    def labels_of(s: dict[str, Any]) -> dict[str, str]:
        return {
            "io.kubernetes.pod.name": s["name"],
            "io.kubernetes.pod.namespace": s["namespace"],
            "io.kubernetes.pod.uid": s["uid"],
        }

    def sandbox_msg(s: dict[str, Any]) -> Any:
        return pb.PodSandbox(
            id=s["id"],
            metadata=pb.PodSandboxMetadata(name=s["name"], namespace=s["namespace"], uid=s["uid"]),
            state=pb.SANDBOX_READY if s["ready"] else pb.SANDBOX_NOTREADY,
            created_at=T0 + s["created"] * SECOND,
            labels=labels_of(s),
        )

    def container_msg(c: dict[str, Any]) -> Any:
        return pb.Container(
            id=c["id"],
            pod_sandbox_id=c["sandbox"],
            metadata=pb.ContainerMetadata(name=c["name"], attempt=c["attempt"]),
            image=pb.ImageSpec(image=c.get("image", "127.0.0.1:5000/library/busybox:1.36")),
            image_ref=c.get(
                "image_ref",
                "sha256:3f57d9401f8d42f986df300f0c69192fc41da28ccc8d797829467780db3dd741",
            ),
            state=c.get("state", pb.CONTAINER_RUNNING),
            created_at=T0,
        )

    class Runtime(stubs.RuntimeServiceServicer):  # type: ignore[misc,name-defined]
        def Version(self, request: Any, context: Any) -> Any:
            runtime.calls.append("Version")
            return pb.VersionResponse(
                version="0.1.0",
                runtime_name="fake",
                runtime_version="1.2.3",
                runtime_api_version=pb.DESCRIPTOR.package.rpartition(".")[2],
            )

        def Status(self, request: Any, context: Any) -> Any:
            runtime.calls.append("Status")
            return pb.StatusResponse(
                status=pb.RuntimeStatus(
                    conditions=[
                        pb.RuntimeCondition(type="RuntimeReady", status=True),
                        pb.RuntimeCondition(
                            type="NetworkReady",
                            status=False,
                            reason="NetworkPluginNotReady",
                            message="Network plugin returns error: cni plugin not initialized",
                        ),
                    ]
                ),
                info=runtime.status_info,
            )

        def ListPodSandbox(self, request: Any, context: Any) -> Any:
            runtime.calls.append("ListPodSandbox")
            wanted = dict(request.filter.label_selector)
            items = [
                sandbox_msg(s)
                for s in runtime.sandboxes
                if all(labels_of(s).get(k) == v for k, v in wanted.items())
                and (not request.filter.id or s["id"] == request.filter.id)
            ]
            return pb.ListPodSandboxResponse(items=items)

        def PodSandboxStatus(self, request: Any, context: Any) -> Any:
            runtime.calls.append(f"PodSandboxStatus {request.pod_sandbox_id}")
            [s] = [s for s in runtime.sandboxes if s["id"] == request.pod_sandbox_id]
            message = sandbox_msg(s)
            return pb.PodSandboxStatusResponse(
                status=pb.PodSandboxStatus(
                    id=s["id"],
                    metadata=message.metadata,
                    state=message.state,
                    created_at=message.created_at,
                    network=pb.PodSandboxNetworkStatus(ip="10.88.0.7"),
                ),
                info={"info": json.dumps({"pid": 4242, "runtimeOptions": {"root": "/run/x/runc"}})},
            )

        def ListContainers(self, request: Any, context: Any) -> Any:
            runtime.calls.append(f"ListContainers {request.filter.pod_sandbox_id}")
            return pb.ListContainersResponse(
                containers=[
                    container_msg(c)
                    for c in runtime.containers
                    if c["sandbox"] == request.filter.pod_sandbox_id
                ]
            )

        def ContainerStatus(self, request: Any, context: Any) -> Any:
            runtime.calls.append(f"ContainerStatus {request.container_id}")
            [c] = [c for c in runtime.containers if c["id"] == request.container_id]
            message = container_msg(c)
            exited = message.state == pb.CONTAINER_EXITED
            status = pb.ContainerStatus(
                id=c["id"],
                metadata=message.metadata,
                state=message.state,
                created_at=T0,
                started_at=T0 + SECOND,
                finished_at=T0 + 31 * SECOND if exited else 0,
                exit_code=c.get("exit_code", 0),
                reason=c.get("reason", ""),
                image=message.image,
                image_ref=message.image_ref,
                log_path=f"/var/log/pods/x/{c['name']}/{c['attempt']}.log",
            )
            info = {
                "pid": 0 if exited else 1234,
                "runtimeSpec": {
                    "process": {"args": ["/bin/sleep", "3600"], "oomScoreAdj": 1000},
                    "linux": {
                        "resources": {
                            "cpu": {"shares": 2, "quota": 20000, "period": 100000},
                            "memory": {"limit": 134217728},
                            "pids": {"limit": 4096},
                        },
                        "cgroupsPath": f"/kubepods/besteffort/pod1/{c['id']}",
                    },
                },
            }
            return pb.ContainerStatusResponse(status=status, info={"info": json.dumps(info)})

        def ContainerStats(self, request: Any, context: Any) -> Any:
            runtime.calls.append(f"ContainerStats {request.container_id}")
            return pb.ContainerStatsResponse(
                stats=pb.ContainerStats(
                    cpu=pb.CpuUsage(usage_core_nano_seconds=pb.UInt64Value(value=5)),
                    memory=pb.MemoryUsage(working_set_bytes=pb.UInt64Value(value=4096)),
                )
            )

    class Images(stubs.ImageServiceServicer):  # type: ignore[misc,name-defined]
        def ImageStatus(self, request: Any, context: Any) -> Any:
            runtime.calls.append(f"ImageStatus {request.image.image}")
            if "missing" in request.image.image:
                return pb.ImageStatusResponse()
            return pb.ImageStatusResponse(
                image=pb.Image(id="sha256:abc", repo_tags=[request.image.image])
            )

        def ImageFsInfo(self, request: Any, context: Any) -> Any:
            runtime.calls.append("ImageFsInfo")
            return pb.ImageFsInfoResponse(
                image_filesystems=[
                    pb.FilesystemUsage(
                        fs_id=pb.FilesystemIdentifier(
                            mountpoint="/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs"
                        ),
                        used_bytes=pb.UInt64Value(value=1 << 30),
                        inodes_used=pb.UInt64Value(value=1000),
                    )
                ]
            )

    return Runtime(), Images()


@contextmanager
def serve(runtime: FakeRuntime, apis: tuple[str, ...] = ("v1",)) -> Iterator[Path]:
    """Serve `runtime` over the given CRI versions on a fresh unix socket; yields its path."""
    directory = Path(tempfile.mkdtemp(prefix="sd-fake-", dir="/tmp"))
    socket = directory / "cri.sock"
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    for api in apis:
        pb, stubs = {"v1": (v1, v1_grpc), "v1alpha2": (v1alpha2, v1alpha2_grpc)}[api]
        runtime_servicer, image_servicer = _servicers(pb, stubs, runtime)
        stubs.add_RuntimeServiceServicer_to_server(runtime_servicer, server)
        stubs.add_ImageServiceServicer_to_server(image_servicer, server)
    server.add_insecure_port(f"unix:{socket}")
    server.start()
    try:
        yield socket
    finally:
        server.stop(None).wait()
        socket.unlink(missing_ok=True)
        directory.rmdir()
