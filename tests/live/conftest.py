"""Fixtures for the tests against a real containerd (see tests/live/containerd.py)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.lab.support import require_lab
from tests.live.containerd import Containerd, Pod, private_containerd


@pytest.fixture(scope="session")
def containerd() -> Iterator[Containerd]:
    """A lab for the whole session; skipped where it cannot run (failed in CI)."""
    require_lab()
    with private_containerd() as instance:
        yield instance


@dataclass
class Cluster:
    """The pods the live tests look at, made once per session."""

    runtime: Containerd
    web: Pod
    web2: Pod
    multi_old: Pod
    multi: Pod
    app_id: str
    crash_ids: tuple[str, str]


@pytest.fixture(scope="session")
def cluster(containerd: Containerd) -> Cluster:
    """web: a sleeping `app` and a `crash` container that exited 1 twice (attempts 0 and 1);
    web-2: a name web is a prefix of; dup in two namespaces; multi: two sandboxes, the first
    stopped (NOTREADY), each with one attempt of `job`."""
    web = containerd.run_pod("web")
    app = containerd.run_container(web, "app", ["/bin/sleep", "3600"])
    crashes = []
    for attempt in (0, 1):
        crashed = containerd.run_container(
            web, "crash", ["/bin/sh", "-c", "echo boom; exit 1"], attempt=attempt
        )
        containerd.wait_exited(crashed)
        crashes.append(crashed)
    web2 = containerd.run_pod("web-2")
    containerd.run_container(web2, "app", ["/bin/sleep", "3600"])
    containerd.run_pod("dup", namespace="team-a")
    containerd.run_pod("dup", namespace="team-b")
    multi_old = containerd.run_pod("multi", namespace="batch")
    first = containerd.run_container(multi_old, "job", ["/bin/sh", "-c", "exit 3"])
    containerd.wait_exited(first)
    containerd.stop_pod(multi_old)
    multi = containerd.rerun_sandbox(multi_old, attempt=1)
    containerd.run_container(multi, "job", ["/bin/sleep", "3600"], attempt=1)
    return Cluster(containerd, web, web2, multi_old, multi, app, (crashes[0], crashes[1]))
