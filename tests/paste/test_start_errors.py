"""A pasted start error (what `docker run` printed, or the runtime's message alone) becomes the
status of the container it is about; an exec's error and runc's own stderr go to the runtime's
log. Every text is from the real-world corpus (fixtures/realworld/cases), its thread cited."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from doctor.paste.kinds import Kind, recognise
from doctor.paste.segment import plain, split
from tests.paste.corpus import evidence
from tests.paste.reading import read_paste

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
# https://github.com/opencontainers/runc/issues/3084 (runc 1.0 era): the tail of a create's
# error, runc's write to the container's cgroup as containerd returned it
CGROUP_WRITE = evidence("runc.cgroup-apply-failed/runc-3084")
# the kubelet's own write to its node allocatable cgroup (an AKS node's FailedNodeAllocatable-
# Enforcement, kubelet 1.1x, its path as on a node whose kubelet is not in a container): no
# container's, and no runtime returned it
ALLOCATABLE_WRITE = (
    "failed to write 7285047296 to memory.limit_in_bytes: write /sys/fs/cgroup/memory/"
    "kubepods/memory.limit_in_bytes: invalid argument\n"
)
# https://github.com/opencontainers/runc/issues/3413 (CentOS 7.9): runc's own stderr
RUNC_STDERR = "$runc\nrunc: symbol lookup error: runc: undefined symbol: seccomp_notify_respond\n"


def kinds_of(text: str) -> list[Kind]:
    return [recognise(s.shape()) for s in split(plain(text), "paste")]


def facts(tmp_path: Path, text: str, pod: str | None = None) -> dict[str, Any]:
    document: dict[str, Any] = read_paste(tmp_path, text, pod).document.data
    return document


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        pytest.param(DOCKER_RUN, [Kind.START_ERROR], id="docker-run-runc-1.1"),
        pytest.param(DOCKER_1_10, [Kind.START_ERROR], id="docker-1.10"),
        pytest.param(COMPOSE_EXEC, [Kind.FRAGMENTS], id="exec-is-no-start-error"),
        pytest.param(RUNC_STDERR, [Kind.FRAGMENTS], id="runc-stderr"),
        pytest.param(CGROUP_WRITE, [Kind.START_ERROR], id="cgroup-write-runc-3084"),
        pytest.param(ALLOCATABLE_WRITE, [Kind.UNKNOWN], id="kubelets-own-cgroup-write"),
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


# https://github.com/severalnines/galera-docker-mariadb/issues/7 (dockershim, runc
# container_linux.go:265): the kubelet's Failed event for the start, pasted alone
START_EVENT = (
    'Error: failed to start container "galera": Error response from daemon: oci runtime error:'
    ' container_linux.go:265: starting container process caused "exec: \\"/entrypoint.sh\\":'
    ' permission denied"\n'
)
# https://github.com/prometheus-community/node-exporter-textfile-collector-scripts/issues/17
# (MicroK8s): the event of a start refused, with a describe that already told the state
DESCRIBED_WAITING = (
    "Name:         smartmon-abcde\n"
    "Namespace:    monitoring\n"
    "Status:       Pending\n"
    "Containers:\n"
    "  smartmon:\n"
    "    State:          Waiting\n"
    "      Reason:       RunContainerError\n"
    "    Restart Count:  2\n"
    "\n"
    "Error: failed to create containerd task: failed to create shim: OCI runtime create failed:"
    " container_linux.go:380: starting container process caused: process_linux.go:545:"
    ' container init caused: rootfs_linux.go:75: mounting "/x" to rootfs at'
    ' "/dev/termination-log" caused: read-only file system: unknown\n'
)


def test_a_start_failure_event_is_the_containers_start_error(tmp_path: Path) -> None:
    document = facts(tmp_path, START_EVENT)
    (pod,) = document["pods"]
    (container,) = pod["containers"]
    assert pod["events"][0]["reason"] == "Failed"
    assert (container["state"], container["exit_code"], container["reason"]) == (
        "CONTAINER_EXITED",
        128,
        "StartError",
    )
    assert container["message"].startswith('failed to start container "galera": ')


def test_a_start_failure_event_keeps_the_state_describe_told(tmp_path: Path) -> None:
    document = facts(tmp_path, DESCRIBED_WAITING)
    (pod,) = document["pods"]
    (container,) = pod["containers"]
    assert container["state"] == "CONTAINER_WAITING"
    assert pod["events"][0]["message"].startswith("Error: failed to create containerd task")


def test_a_start_error_describe_wrapped_is_joined_again(tmp_path: Path) -> None:
    """kubernetes/kubernetes#61192 (Docker 17.x): the message as describe wrapped it at spaces,
    each continuation indented — one message again, a space at each cut, none lost."""
    document = facts(tmp_path, evidence("runc.cgroup-apply-failed/kubernetes-61192"))
    message = document["pods"][0]["containers"][0]["message"]
    assert "starting container process caused" in message
    assert "setting cgroup config for procHooks" in message  # an editor's cut: a space kept
    assert message.endswith('cpu.cfs_quota_us: invalid argument\\\\\\"\\"\\n"\'')
