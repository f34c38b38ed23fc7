"""A pasted start error (what `docker run` printed, or the runtime's message alone) becomes the
status of the container it is about; an exec's error and runc's own stderr go to the runtime's
log. Every text is from the real-world corpus (fixtures/realworld/cases), its thread cited."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from doctor.bundle.source import load_inputs
from doctor.facts.document import PodRef
from doctor.paste.kinds import Kind, recognise
from doctor.paste.segment import plain, split

# https://github.com/luksa/kubernetes-in-action-2nd-edition/pull/35 (runc >= 1.1 via docker)
DOCKER_RUN = (
    "\u276f docker run --rm init-demo-no-exec:latest\n"
    "docker: Error response from daemon: failed to create task for container: failed to create"
    " shim task: OCI runtime create failed: runc create failed: unable to start container"
    ' process: error during container init: exec: "/docker_entrypoint.sh": permission denied\n'
)
# https://github.com/moby/moby/issues/18946 (docker 1.10 dev): the start error among daemon lines
DOCKER_1_10 = (
    "# docker run --rm busybox true\n"
    "seccomp: config provided but seccomp not supported\n"
    "docker: Error response from daemon: Cannot start container 43f6e217197d8a286cf38bfef0361e2a"
    "afc5251d15da5f5850ea9c63caad7f12: [9] System error: seccomp: config provided but seccomp not"
    " supported.\n"
)
# https://github.com/moby/moby/issues/31733 (docker 17.03): an exec refused, the container runs on
COMPOSE_EXEC = (
    "$ docker-compose exec web bash\n"
    "rpc error: code = 2 desc = oci runtime error: exec failed: container_linux.go:247: starting"
    ' container process caused "apparmor failed to apply profile: no such file or directory"\n'
)
# https://github.com/opencontainers/runc/issues/3413 (CentOS 7.9): runc's own stderr
RUNC_STDERR = "$runc\nrunc: symbol lookup error: runc: undefined symbol: seccomp_notify_respond\n"


def kinds_of(text: str) -> list[Kind]:
    return [recognise(s.shape()) for s in split(plain(text), "paste")]


def facts(tmp_path: Path, text: str, pod: str | None = None) -> dict[str, Any]:
    path = tmp_path / "paste.txt"
    path.write_text(text)
    loaded = load_inputs(None, (), (path,), PodRef.parse(pod) if pod else None)
    document: dict[str, Any] = loaded.document.data
    return document


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        pytest.param(DOCKER_RUN, [Kind.START_ERROR], id="docker-run-runc-1.1"),
        pytest.param(DOCKER_1_10, [Kind.START_ERROR], id="docker-1.10"),
        pytest.param(COMPOSE_EXEC, [Kind.FRAGMENTS], id="exec-is-no-start-error"),
        pytest.param(RUNC_STDERR, [Kind.FRAGMENTS], id="runc-stderr"),
    ],
)
def test_kinds(text: str, kinds: list[Kind]) -> None:
    assert kinds_of(text) == kinds


def test_start_error_is_the_containers_status(tmp_path: Path) -> None:
    document = facts(tmp_path, DOCKER_RUN, pod="shop/web")
    (pod,) = document["pods"]
    (container,) = pod["containers"]
    assert (pod["namespace"], pod["name"]) == ("shop", "web")
    # what containerd's CRI records for a container whose start failed
    assert (container["state"], container["exit_code"], container["reason"]) == (
        "CONTAINER_EXITED",
        128,
        "StartError",
    )
    assert container["message"].endswith('exec: "/docker_entrypoint.sh": permission denied')


def test_start_error_without_a_pod_is_read_as_unknown(tmp_path: Path) -> None:
    document = facts(tmp_path, DOCKER_1_10)
    (pod,) = document["pods"]
    assert pod["name"] == "unknown"
    assert "seccomp not supported" in pod["containers"][0]["message"]


@pytest.mark.parametrize("text", [COMPOSE_EXEC, RUNC_STDERR], ids=["exec", "runc-stderr"])
def test_runtime_lines_go_to_the_runtime_log_not_a_container(tmp_path: Path, text: str) -> None:
    document = facts(tmp_path, text)
    assert document["pods"] == []
    runtime = document["layers"]["containerd"]
    assert runtime["status"] == "ok"
