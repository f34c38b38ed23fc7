"""CRI endpoint discovery: flag, environment, kubelet, /etc/crictl.yaml, default sockets."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from doctor.gather.context import GatherContext, GatherOptions
from doctor.gather.cri.endpoint import discover, local_target, parse_timeout, same_socket


def context(root: Path, flag: str | None = None, env: str | None = None) -> GatherContext:
    environ = {"CONTAINER_RUNTIME_ENDPOINT": env} if env else {}
    return GatherContext.create(
        GatherOptions(host_root=root, runtime_endpoint=flag, environ=environ)
    )


def crictl_yaml(root: Path, text: str) -> None:
    (root / "etc").mkdir(exist_ok=True)
    (root / "etc/crictl.yaml").write_text(text)


def make_socket(root: Path, path: str) -> None:
    """A real unix socket file at the host path (bound, never listened on)."""
    local = root / path.lstrip("/")
    local.parent.mkdir(parents=True, exist_ok=True)
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(local))
    sock.close()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    crictl_yaml(
        tmp_path,
        "runtime-endpoint: unix:///run/crio/crio.sock\n"
        "image-endpoint: unix:///run/crio/crio.sock\n"
        "timeout: 2\n"
        "debug: false\n",
    )
    return tmp_path


def test_the_flag_wins(root: Path) -> None:
    ctx = context(root, flag="unix:///custom.sock", env="unix:///env.sock")
    ctx.handoff.kubelet_runtime_endpoint = "unix:///kubelet.sock"
    found = discover(ctx)
    assert found is not None
    assert (found.address, found.source) == ("unix:///custom.sock", "flag")


def test_then_the_environment(root: Path) -> None:
    ctx = context(root, env="/run/env.sock")
    ctx.handoff.kubelet_runtime_endpoint = "unix:///kubelet.sock"
    found = discover(ctx)
    assert found is not None
    assert (found.address, found.source) == ("unix:///run/env.sock", "env")


def test_then_the_kubelet(root: Path) -> None:
    ctx = context(root)
    ctx.handoff.kubelet_runtime_endpoint = "unix:///run/containerd/containerd.sock"
    found = discover(ctx)
    assert found is not None
    assert (found.address, found.source) == ("unix:///run/containerd/containerd.sock", "kubelet")


def test_then_crictl_yaml_with_its_timeout(root: Path) -> None:
    ctx = context(root)
    ctx.handoff.kubelet_runtime_endpoint = None
    found = discover(ctx)
    assert found is not None
    assert (found.address, found.source, found.timeout) == (
        "unix:///run/crio/crio.sock",
        "crictl.yaml",
        2.0,
    )


def test_then_the_first_default_socket_that_exists(tmp_path: Path) -> None:
    assert discover(context(tmp_path)) is None
    make_socket(tmp_path, "/var/run/cri-dockerd.sock")
    found = discover(context(tmp_path))
    assert found is not None
    assert (found.address, found.source) == ("unix:///var/run/cri-dockerd.sock", "default")
    make_socket(tmp_path, "/run/crio/crio.sock")
    make_socket(tmp_path, "/run/containerd/containerd.sock")
    found = discover(context(tmp_path))
    assert found is not None
    assert found.address == "unix:///run/containerd/containerd.sock"


def test_an_unreadable_crictl_yaml_is_a_recorded_problem(tmp_path: Path) -> None:
    crictl_yaml(tmp_path, "runtime-endpoint: [unclosed\n")
    make_socket(tmp_path, "/run/containerd/containerd.sock")
    found = discover(context(tmp_path))
    assert found is not None
    assert found.source == "default"
    assert found.problems and found.problems[0].startswith("/etc/crictl.yaml: not YAML")


def test_the_socket_is_reached_under_the_host_root(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    target = local_target(ctx, "unix:///run/containerd/containerd.sock")
    assert target == tmp_path / "run/containerd/containerd.sock"


@pytest.mark.parametrize(
    ("value", "seconds"),
    [(2, 2.0), (0, None), ("10s", 10.0), ("500ms", 0.5), ("1m", 60.0), ("x", None), (True, None)],
)
def test_crictl_timeouts(value: object, seconds: float | None) -> None:
    assert parse_timeout(value) == seconds


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ("unix:///run/containerd/containerd.sock", "/run/containerd/containerd.sock", True),
        ("unix:///var/run/containerd/containerd.sock", "/run/containerd//containerd.sock", True),
        ("unix:///run/containerd/containerd.sock", "unix:///run/k3s/containerd.sock", False),
    ],
)
def test_same_socket_by_path(tmp_path: Path, first: str, second: str, same: bool) -> None:
    assert same_socket(context(tmp_path), first, second) is same


def test_same_socket_through_a_link_on_the_host(tmp_path: Path) -> None:
    """A socket reached through a link under the host root is the one the link points at."""
    make_socket(tmp_path, "/run/k3s/containerd/containerd.sock")
    (tmp_path / "srv").mkdir()
    (tmp_path / "srv/cri.sock").symlink_to(tmp_path / "run/k3s/containerd/containerd.sock")
    ctx = context(tmp_path)
    assert same_socket(ctx, "unix:///srv/cri.sock", "/run/k3s/containerd/containerd.sock")
    assert not same_socket(ctx, "unix:///srv/cri.sock", "/run/missing.sock")
