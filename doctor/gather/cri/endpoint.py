"""Which CRI socket to talk to, and why: the same order crictl and the kubelet would use.

Order: --runtime-endpoint, CONTAINER_RUNTIME_ENDPOINT, the endpoint the running kubelet was
started with (ctx.handoff.kubelet_runtime_endpoint), /etc/crictl.yaml, then the first default
socket that exists, in crictl's order (cri-tools cmd/crictl/main_unix.go
defaultRuntimeEndpoints). The endpoint is kept as the host names it (unix:///run/...); it is
mapped through the host root only when connecting.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from doctor.gather.context import GatherContext

log = logging.getLogger(__name__)

CRICTL_CONFIG = "/etc/crictl.yaml"
# crictl's defaultRuntimeEndpoints on Linux: containerd, CRI-O, cri-dockerd.
DEFAULT_ENDPOINTS = (
    "unix:///run/containerd/containerd.sock",
    "unix:///run/crio/crio.sock",
    "unix:///var/run/cri-dockerd.sock",
)

SOURCE_FLAG = "flag"
SOURCE_ENV = "env"
SOURCE_KUBELET = "kubelet"
SOURCE_CRICTL = "crictl.yaml"
SOURCE_DEFAULT = "default"


@dataclass(frozen=True)
class Endpoint:
    """A CRI endpoint as the host names it, where it came from, and crictl.yaml's timeout."""

    address: str
    source: str
    timeout: float | None = None
    problems: tuple[str, ...] = ()

    @property
    def socket_path(self) -> str:
        """The host path of the unix socket (`unix:///run/x.sock` and `/run/x.sock` alike)."""
        return socket_path(self.address)


def socket_path(address: str) -> str:
    if address.startswith("unix://"):
        return address.removeprefix("unix://")
    return address


def normalize(address: str) -> str:
    """A bare path becomes `unix://path`, as the kubelet and crictl accept both."""
    address = address.strip()
    if "://" not in address:
        return "unix://" + address
    return address


def same_socket(ctx: GatherContext, first: str, second: str) -> bool:
    """Whether two endpoints or socket paths name one socket: the same path once /var/run is
    read as /run (a link to it on every current distribution), or the same file on the host."""
    one, other = _canonical(first), _canonical(second)
    if one == other:
        return True
    try:
        return os.path.samefile(ctx.host.path(one), ctx.host.path(other))
    except OSError:
        return False


Process = tuple[int, list[str]]  # pid, argv


def using_endpoint(
    ctx: GatherContext,
    processes: list[Process],
    wanted: str,
    endpoint_of: Callable[[GatherContext, int, list[str]], str | None],
) -> list[Process]:
    """Of several runtimes or kubelets on one machine, the ones that may be this node's: those
    whose socket (`endpoint_of`) is `wanted` first, then those whose socket is not known; one
    known to use another socket is another node's and is left out."""
    using, unknown = [], []
    for pid, argv in processes:
        endpoint = endpoint_of(ctx, pid, argv)
        if endpoint is None:
            unknown.append((pid, argv))
        elif same_socket(ctx, endpoint, wanted):
            using.append((pid, argv))
    return using + unknown


def _canonical(address: str) -> str:
    path = os.path.normpath(socket_path(normalize(address)))
    return "/run/" + path.removeprefix("/var/run/") if path.startswith("/var/run/") else path


def local_target(ctx: GatherContext, address: str) -> Path:
    """The socket as reachable from here: the host path under the host root."""
    return ctx.host.path(socket_path(address))


def discover(ctx: GatherContext) -> Endpoint | None:
    """The endpoint to use, or None when nothing names one and no default socket exists."""
    problems: list[str] = []
    if ctx.options.runtime_endpoint:
        return Endpoint(normalize(ctx.options.runtime_endpoint), SOURCE_FLAG)
    from_env = ctx.options.environ.get("CONTAINER_RUNTIME_ENDPOINT")
    if from_env:
        return Endpoint(normalize(from_env), SOURCE_ENV)
    from_kubelet = ctx.handoff.kubelet_runtime_endpoint
    if from_kubelet:
        return Endpoint(normalize(from_kubelet), SOURCE_KUBELET)
    crictl, timeout, problem = read_crictl_config(ctx)
    if problem:
        problems.append(problem)
    if crictl:
        return Endpoint(normalize(crictl), SOURCE_CRICTL, timeout, tuple(problems))
    for address in DEFAULT_ENDPOINTS:
        if ctx.host.exists(socket_path(address)):
            return Endpoint(address, SOURCE_DEFAULT, timeout, tuple(problems))
    return None


def read_crictl_config(ctx: GatherContext) -> tuple[str | None, float | None, str | None]:
    """`runtime-endpoint` and `timeout` from /etc/crictl.yaml, and a problem reading it."""
    try:
        text = ctx.host.read_text(CRICTL_CONFIG)
    except FileNotFoundError:
        return None, None, None
    except OSError as exc:
        return None, None, f"{CRICTL_CONFIG}: {exc.strerror or exc}"
    import yaml  # here: a node seldom has /etc/crictl.yaml

    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return None, None, f"{CRICTL_CONFIG}: not YAML: {exc}".splitlines()[0]
    if not isinstance(data, dict):
        return None, None, None
    endpoint = data.get("runtime-endpoint")
    return (
        endpoint if isinstance(endpoint, str) and endpoint else None,
        parse_timeout(data.get("timeout")),
        None,
    )


def parse_timeout(value: Any) -> float | None:
    """crictl.yaml's `timeout`: seconds as a number, or a Go duration such as `2s`/`500ms`."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if value > 0 else None
    if isinstance(value, str):
        found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*", value)
        if found:
            number = float(found.group(1))
            scale = {"ms": 0.001, "s": 1.0, "m": 60.0}[found.group(2) or "s"]
            return number * scale or None
    return None


def named_without_kubelet(ctx: GatherContext) -> bool:
    """Whether `discover` finds the endpoint before it would ask the kubelet's."""
    return bool(
        ctx.options.runtime_endpoint or ctx.options.environ.get("CONTAINER_RUNTIME_ENDPOINT")
    )
