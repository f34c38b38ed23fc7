"""The CRI client: negotiation, deadlines, and gRPC failures mapped to layer statuses."""

from __future__ import annotations

import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
import pytest

from doctor.gather.cri.client import CriCallError, CriClient, call_error
from doctor.layers import LayerStatus
from tests.gather.cri_fake import FakeRuntime, serve


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """Unix socket paths are limited to 107 bytes: pytest's tmp_path can be longer."""
    with tempfile.TemporaryDirectory(prefix="sd-", dir="/tmp") as name:
        yield Path(name)


def client_for(path: Path, timeout: float = 5.0) -> CriClient:
    return CriClient(f"unix://{path}", path, timeout)


def test_v1_is_used_when_served() -> None:
    with serve(FakeRuntime(), ("v1", "v1alpha2")) as path, client_for(path) as client:
        answer = client.negotiate()
        assert client.api_version == "v1"
        assert answer.runtime_api_version == "v1"


def test_v1alpha2_when_v1_is_unimplemented() -> None:
    runtime = FakeRuntime()
    with serve(runtime, ("v1alpha2",)) as path, client_for(path) as client:
        answer = client.negotiate()
        assert client.api_version == "v1alpha2"
        assert answer.runtime_name == "fake"
        assert [c.type for c in client.status().status.conditions] == [
            "RuntimeReady",
            "NetworkReady",
        ]


def test_neither_version_is_unsupported() -> None:
    server = grpc.server(futures.ThreadPoolExecutor(1))
    with tempfile.TemporaryDirectory(prefix="sd-", dir="/tmp") as name:
        path = Path(name) / "empty.sock"
        server.add_insecure_port(f"unix:{path}")
        server.start()
        try:
            with client_for(path) as client, pytest.raises(CriCallError) as caught:
                client.negotiate()
        finally:
            server.stop(None).wait()
    assert caught.value.status is LayerStatus.UNSUPPORTED
    assert "neither runtime.v1 nor runtime.v1alpha2" in caught.value.text
    assert "code = Unimplemented" in caught.value.text


def test_a_missing_socket_is_unreachable(short_dir: Path) -> None:
    with client_for(short_dir / "gone.sock") as client, pytest.raises(CriCallError) as caught:
        client.negotiate()
    assert caught.value.status is LayerStatus.UNREACHABLE
    assert caught.value.text.startswith("rpc error: code = Unavailable desc = ")
    assert "gone.sock" in caught.value.text


def test_a_socket_that_accepts_but_never_answers_costs_only_the_deadline(
    short_dir: Path,
) -> None:
    path = short_dir / "silent.sock"
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(path))
    listener.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept_and_sleep() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])  # and never read or write
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept_and_sleep, daemon=True)
    thread.start()
    try:
        started = time.monotonic()
        with client_for(path, timeout=0.5) as client, pytest.raises(CriCallError) as caught:
            client.negotiate()
        elapsed = time.monotonic() - started
    finally:
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        listener.close()
    assert accepted, "the client never connected"
    assert caught.value.status is LayerStatus.TIMEOUT
    assert caught.value.text.startswith("rpc error: code = DeadlineExceeded desc = ")
    assert elapsed < 2.0


class FakeRpcError(grpc.RpcError):  # type: ignore[misc]
    def __init__(self, code: grpc.StatusCode, details: str) -> None:
        self._code, self._details = code, details

    def code(self) -> Any:
        return self._code

    def details(self) -> str:
        return self._details


@pytest.mark.parametrize(
    ("code", "details", "status"),
    [
        (grpc.StatusCode.UNAVAILABLE, "connection refused", LayerStatus.UNREACHABLE),
        (grpc.StatusCode.DEADLINE_EXCEEDED, "Deadline Exceeded", LayerStatus.TIMEOUT),
        (
            grpc.StatusCode.UNIMPLEMENTED,
            "unknown service runtime.v1.RuntimeService",
            LayerStatus.UNSUPPORTED,
        ),
        (grpc.StatusCode.PERMISSION_DENIED, "denied", LayerStatus.PERMISSION_DENIED),
        (
            grpc.StatusCode.UNAVAILABLE,
            "failed to connect to all addresses; last error: UNKNOWN: "
            "unix:/run/containerd/containerd.sock: Permission denied",
            LayerStatus.PERMISSION_DENIED,
        ),
        (grpc.StatusCode.UNKNOWN, "failed to get sandbox image", LayerStatus.ERROR),
    ],
)
def test_grpc_codes_become_layer_statuses(
    code: grpc.StatusCode, details: str, status: LayerStatus
) -> None:
    error = call_error("Version", FakeRpcError(code, details))
    assert error.status is status
    assert error.text.endswith(f"desc = {details}")


def test_a_socket_we_may_not_open_is_permission_denied(
    short_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = short_dir / "private.sock"
    path.touch()
    monkeypatch.setattr("doctor.gather.cri.client.os.access", lambda *_: False)
    with client_for(path) as client, pytest.raises(CriCallError) as caught:
        client.negotiate()
    assert caught.value.status is LayerStatus.PERMISSION_DENIED
