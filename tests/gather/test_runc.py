"""The runc gatherer: state.json read, status derived the way `runc state` derives it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from doctor.engine.examples import base_document
from doctor.facts.document import parse_facts
from doctor.gather import runc
from doctor.gather.context import GatherContext, GatherOptions
from doctor.gather.handoff import CriHandoff, Handoff
from doctor.gather.host import Host
from tests.gather.hosttree import write

CID = "53940ebcbf87d9313bb88b1656bc189745b04414888305a7ec47aef9c55fcdaf"
ROOT = "/run/containerd/runc/k8s.io"
V1_PATH = f"/kubepods/burstable/pod6f1b6c1e-0d3c-4a52-9a55-0e2d3c1b7a10/{CID}"


def stat_line(pid: int, comm: str, state: str, ppid: int, start: int) -> str:
    fields = [str(pid), f"({comm})", state, str(ppid), str(pid), str(pid), "0", "-1", "4194560"]
    fields += ["0"] * 12
    fields += [str(start), "737280000", "2000"]
    fields += ["0"] * (52 - len(fields))
    return " ".join(fields) + "\n"


def state_json(start: int | str = 123456) -> dict[str, Any]:
    """The shape runc (libcontainer State) writes; config trimmed to the cgroup part."""
    return {
        "id": CID,
        "init_process_pid": 4242,
        "init_process_start": start,
        "created": "2024-05-01T10:00:00.123456789Z",
        "config": {
            "rootfs": f"/run/containerd/io.containerd.runtime.v2.task/k8s.io/{CID}/rootfs",
            "cgroups": {"path": V1_PATH, "resources": {"memory": 268435456}},
        },
        "rootless": False,
        "cgroup_paths": {
            "cpu": f"/sys/fs/cgroup/cpu,cpuacct{V1_PATH}",
            "freezer": f"/sys/fs/cgroup/freezer{V1_PATH}",
            "memory": f"/sys/fs/cgroup/memory{V1_PATH}",
            "name=systemd": f"/sys/fs/cgroup/systemd{V1_PATH}",
            "pids": f"/sys/fs/cgroup/pids{V1_PATH}",
        },
        "namespace_paths": {"NEWNET": "/proc/4210/ns/net", "NEWPID": "/proc/4242/ns/pid"},
        "external_descriptors": ["/dev/null", "pipe:[3184912]", "pipe:[3184913]"],
        "intel_rdt_path": "",
    }


@pytest.fixture
def node(tmp_path: Path) -> Path:
    (tmp_path / "sys/fs/cgroup/memory").mkdir(parents=True)  # a cgroup v1 node
    write(tmp_path, f"{ROOT}/{CID}/state.json", json.dumps(state_json()))
    write(tmp_path, "/proc/4242/stat", stat_line(4242, "nginx", "S", 4200, 123456))
    write(tmp_path, f"/sys/fs/cgroup/freezer{V1_PATH}/freezer.state", "THAWED\n")
    return tmp_path


def run(root: Path, handoff: Handoff | None = None) -> tuple[dict[str, Any], GatherContext]:
    ctx = GatherContext(GatherOptions(host_root=root), Host(root))
    ctx.pods = [
        {
            "name": "web",
            "namespace": "default",
            "containers": [
                {"name": "app", "attempt": 0, "id": CID, "state": "CONTAINER_RUNNING"},
                {"name": "old", "attempt": 0, "id": "f" * 64, "state": "CONTAINER_EXITED"},
            ],
        }
    ]
    ctx.handoff = handoff or Handoff()
    section = runc.gather(ctx)
    document = base_document()
    document["layers"]["runc"] = section
    document["pods"] = ctx.pods
    parse_facts(document, "test")
    return section, ctx


def app_runc(ctx: GatherContext) -> dict[str, Any]:
    result: dict[str, Any] = ctx.pods[0]["containers"][0]["runc"]
    return result


def test_running(node: Path) -> None:
    section, ctx = run(node)
    assert section == {"status": "ok", "errors": [], "root": ROOT, "version": None}
    assert app_runc(ctx) == {
        "status": "running",
        "pid": 4242,
        "created": "2024-05-01T10:00:00.123456789Z",
        "cgroup_paths": state_json()["cgroup_paths"],
    }
    assert ctx.pods[0]["containers"][1]["runc"] == {"status": "absent", "pid": None}
    assert ctx.handoff.runc_cgroup_paths[CID]["memory"] == f"/sys/fs/cgroup/memory{V1_PATH}"


def test_stopped_when_the_pid_is_gone(node: Path) -> None:
    (node / "proc/4242/stat").unlink()
    _, ctx = run(node)
    assert app_runc(ctx)["status"] == "stopped"


def test_stopped_when_the_pid_was_reused(node: Path) -> None:
    write(node, "/proc/4242/stat", stat_line(4242, "bash", "S", 1, 999999))
    _, ctx = run(node)
    assert app_runc(ctx)["status"] == "stopped"


def test_stopped_when_zombie(node: Path) -> None:
    write(node, "/proc/4242/stat", stat_line(4242, "nginx", "Z", 4200, 123456))
    _, ctx = run(node)
    assert app_runc(ctx)["status"] == "stopped"


def test_created_while_exec_fifo_exists(node: Path) -> None:
    write(node, f"{ROOT}/{CID}/exec.fifo", "")
    _, ctx = run(node)
    assert app_runc(ctx)["status"] == "created"


def test_paused_when_frozen(node: Path) -> None:
    write(node, f"/sys/fs/cgroup/freezer{V1_PATH}/freezer.state", "FROZEN\n")
    _, ctx = run(node)
    assert app_runc(ctx)["status"] == "paused"


def test_old_runc_start_time_as_string(node: Path) -> None:
    write(node, f"{ROOT}/{CID}/state.json", json.dumps(state_json(start="123456")))
    _, ctx = run(node)
    assert app_runc(ctx)["status"] == "running"


def test_root_from_the_runtime_options(node: Path) -> None:
    other = "/run/containerd/runc/custom"
    (node / other.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
    (node / ROOT.lstrip("/")).rename(node / other.lstrip("/"))
    section, ctx = run(node, Handoff(cri=CriHandoff(runc_root=other)))
    assert section["root"] == other
    assert app_runc(ctx)["status"] == "running"


def test_containerds_config_root_comes_before_the_runtimes_answer(node: Path) -> None:
    other = "/run/containerd/runc/custom"
    (node / other.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
    (node / ROOT.lstrip("/")).rename(node / other.lstrip("/"))
    both = Handoff(containerd_runc_root=other, cri=CriHandoff(runc_root="/run/elsewhere"))
    section, ctx = run(node, both)
    assert section["root"] == other
    assert app_runc(ctx)["status"] == "running"


def test_absent_root(tmp_path: Path) -> None:
    section, ctx = run(tmp_path)
    assert section["status"] == "absent"
    assert section["root"] == ROOT
    assert "runc" not in ctx.pods[0]["containers"][0]


def test_broken_state_file(node: Path) -> None:
    write(node, f"{ROOT}/{CID}/state.json", '{"id": "trunc')
    section, ctx = run(node)
    assert section["errors"][0]["source"] == f"{ROOT}/{CID}/state.json"
    assert "runc" not in ctx.pods[0]["containers"][0]


def test_unreadable_state_file(node: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = Host.read_bytes

    def read_bytes(self: Host, absolute: str, limit: int = 1 << 22) -> bytes:
        if absolute.endswith("state.json"):
            raise PermissionError(13, "Permission denied")
        return real(self, absolute, limit)

    monkeypatch.setattr(Host, "read_bytes", read_bytes)
    section, _ = run(node)
    assert section["status"] == "permission-denied"
