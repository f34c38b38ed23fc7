"""The process gatherer on synthetic host trees: /proc/<pid>, namespaces, cgroup samples, logs."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from doctor.diagnosis import diagnose
from doctor.engine.examples import base_document
from doctor.engine.loader import load_rules
from doctor.facts.document import parse_facts
from doctor.gather import process
from doctor.gather.context import GatherContext, GatherOptions
from doctor.gather.handoff import CriHandoff, Handoff
from doctor.gather.host import Host
from doctor.gather.process import parse_cri_log, read_stat
from tests.gather.hosttree import write

CID = "9b4e2a9d7c1f3e5a8b6d4c2e0f1a3b5c7d9e1f2a4b6c8d0e2f4a6b8c0d2e4f6a"
CID2 = "1c3e5a7b9d1f3a5c7e9b1d3f5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e5b7d9f1a3c"
SCOPE = "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod6f1b.slice"
HOST_NS = {
    "cgroup": "cgroup:[4026531835]",
    "ipc": "ipc:[4026531839]",
    "mnt": "mnt:[4026531841]",
    "net": "net:[4026531840]",
    "pid": "pid:[4026531836]",
    "user": "user:[4026531837]",
    "uts": "uts:[4026531838]",
}
STATUS = """Name:\tnginx
Umask:\t0022
State:\tS (sleeping)
Tgid:\t{pid}
Ngid:\t0
Pid:\t{pid}
PPid:\t4200
TracerPid:\t0
"""
CPU_STAT = (
    "usage_usec 2137158\nuser_usec 1392434\nsystem_usec 744724\nnr_periods {periods}\n"
    "nr_throttled {throttled}\nthrottled_usec 4500000\nnr_bursts 0\nburst_usec 0\n"
)
LOG = """2024-05-01T10:00:00.000000001Z stdout F starting nginx
2024-05-01T10:00:01.000000001Z stdout P a very long line that the runtime
2024-05-01T10:00:01.000000002Z stderr F warning: something on stderr
2024-05-01T10:00:01.000000003Z stdout P  split in
2024-05-01T10:00:01.000000004Z stdout F  three parts
2024-05-01T10:00:02.000000001Z stderr F
"""


def namespaces(root: Path, pid: int, links: dict[str, str]) -> None:
    directory = root / f"proc/{pid}/ns"
    directory.mkdir(parents=True, exist_ok=True)
    for name, target in links.items():
        os.symlink(target, directory / name)


def container_proc(root: Path, pid: int, cid: str, shared_net: bool = False) -> None:
    write(root, f"/proc/{pid}/status", STATUS.format(pid=pid))
    (root / f"proc/{pid}/cmdline").write_bytes(b"nginx: master process nginx\0-g\0daemon off;\0")
    write(root, f"/proc/{pid}/oom_score_adj", "999\n")
    links = {name: target.replace("40265318", "40265330") for name, target in HOST_NS.items()}
    links["user"] = HOST_NS["user"]  # no user namespace for ordinary pods
    if shared_net:
        links["net"] = HOST_NS["net"]  # hostNetwork: true
    namespaces(root, pid, links)
    scope = f"{SCOPE}/cri-containerd-{cid}.scope"
    write(root, f"/proc/{pid}/cgroup", f"0::{scope}\n")
    directory = f"/sys/fs/cgroup{scope}"
    write(root, f"{directory}/cpu.stat", CPU_STAT.format(periods=100, throttled=10))
    write(root, f"{directory}/memory.current", "132120576\n")
    write(root, f"{directory}/memory.max", "max\n")
    write(root, f"{directory}/memory.events", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n")
    write(root, f"{directory}/pids.current", "7\n")
    write(root, f"{directory}/pids.max", "max\n")
    write(root, f"{directory}/pids.events", "max 0\n")


@pytest.fixture
def node(tmp_path: Path) -> Path:
    write(tmp_path, "/sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory pids\n")
    namespaces(tmp_path, 1, HOST_NS)
    container_proc(tmp_path, 4242, CID)
    container_proc(tmp_path, 4343, CID2, shared_net=True)
    write(tmp_path, "/var/log/pods/default_web_6f1b/app/0.log", LOG)
    return tmp_path


def pods() -> list[dict[str, Any]]:
    running = {"name": "app", "attempt": 1, "id": CID, "state": "CONTAINER_RUNNING", "pid": 4242}
    return [
        {
            "name": "web",
            "namespace": "default",
            "uid": "6f1b",
            "containers": [
                {
                    "name": "app",
                    "attempt": 0,
                    "id": "0" * 64,
                    "state": "CONTAINER_EXITED",
                    "log_path": "/var/log/pods/default_web_6f1b/app/0.log",
                },
                running,
                {
                    "name": "side",
                    "attempt": 0,
                    "id": CID2,
                    "state": "CONTAINER_RUNNING",
                    "pid": 4343,
                },
            ],
        }
    ]


def run(
    root: Path, interval: float = 0.0, handoff: Handoff | None = None
) -> tuple[dict[str, Any], GatherContext]:
    ctx = GatherContext(GatherOptions(host_root=root, sample_interval=interval), Host(root))
    ctx.pods = pods()
    ctx.handoff = handoff or Handoff()
    section = process.gather(ctx)
    document = base_document()
    document["layers"]["process"] = section
    document["pods"] = ctx.pods
    parse_facts(document, "test")
    return section, ctx


def test_running_container_process_facts(node: Path) -> None:
    section, ctx = run(node)
    assert section["status"] == "ok", section["errors"]
    app = ctx.pods[0]["containers"][1]
    assert app["process"] == {
        "exists": True,
        "state": "S",
        "ppid": 4200,
        "cmdline": ["nginx: master process nginx", "-g", "daemon off;"],
        "oom_score_adj": 999,
    }
    assert app["namespaces_shared_with_host"] == ["user"]
    side = ctx.pods[0]["containers"][2]
    assert side["namespaces_shared_with_host"] == ["net", "user"]
    assert app["cgroup"]["path"] == f"{SCOPE}/cri-containerd-{CID}.scope"
    assert app["cgroup"]["memory"]["limit_bytes"] is None
    assert len(app["cgroup"]["cpu"]["samples"]) == 1  # interval 0: a single sample


def test_two_samples_one_sleep_for_all(node: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:  # the window passes; the kernel counters rise
        sleeps.append(seconds)
        for cid in (CID, CID2):
            path = f"/sys/fs/cgroup{SCOPE}/cri-containerd-{cid}.scope/cpu.stat"
            write(node, path, CPU_STAT.format(periods=110, throttled=19))

    monkeypatch.setattr(process.time, "sleep", sleep)
    _, ctx = run(node, interval=0.5)
    assert sleeps == [0.5]
    for container in ctx.pods[0]["containers"][1:]:
        first, second = container["cgroup"]["cpu"]["samples"]
        assert (second["nr_periods"] - first["nr_periods"], second["nr_throttled"]) == (10, 19)


def test_exited_container_gets_only_its_log(node: Path) -> None:
    _, ctx = run(node)
    exited = ctx.pods[0]["containers"][0]
    assert "process" not in exited and "cgroup" not in exited
    assert exited["log_tail"] == [
        "starting nginx",
        "warning: something on stderr",
        "a very long line that the runtime split in three parts",
        "",
    ]


def test_gone_process(node: Path) -> None:
    for name in ("status", "cgroup"):
        (node / f"proc/4242/{name}").unlink()
    section, ctx = run(node)
    app = ctx.pods[0]["containers"][1]
    assert app["process"] == {"exists": False}
    assert "cgroup" not in app
    assert section["status"] == "ok"


def test_cgroup_from_runc_note_when_proc_is_gone(node: Path) -> None:
    (node / "proc/4242/cgroup").unlink()
    scope = f"/sys/fs/cgroup{SCOPE}/cri-containerd-{CID}.scope"
    _, ctx = run(node, handoff=Handoff(runc_cgroup_paths={CID: {"": scope}}))
    assert ctx.pods[0]["containers"][1]["cgroup"]["pids"]["current"] == 7


def test_cgroup_from_spec_when_namespaced(node: Path) -> None:
    """A private cgroup namespace shows /../..; the spec's systemd cgroupsPath finds it."""
    write(node, "/proc/4242/cgroup", "0::/../../kubepods.slice/x\n")
    spec = f"kubepods-burstable-pod6f1b.slice:cri-containerd:{CID}"
    _, ctx = run(node, handoff=Handoff(cri=CriHandoff(cgroups_paths={CID: spec})))
    cgroup = ctx.pods[0]["containers"][1]["cgroup"]
    assert cgroup["path"] == f"{SCOPE}/cri-containerd-{CID}.scope"


def test_permission_denied(node: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Root reads anything here, so the kernel's EACCES is simulated at the Host."""
    real = Host.read_text

    def read_text(self: Host, absolute: str, limit: int = 1 << 22) -> str:
        if absolute.startswith("/proc/4242/") or absolute.endswith("memory.current"):
            raise PermissionError(13, "Permission denied")
        return real(self, absolute, limit)

    monkeypatch.setattr(Host, "read_text", read_text)
    section, ctx = run(node)
    assert section["status"] == "permission-denied"
    sources = [error["source"] for error in section["errors"]]
    assert "/proc/4242/status (default/web app)" in sources
    assert any(s.endswith("memory.current (default/web side)") for s in sources)
    assert "process" not in ctx.pods[0]["containers"][1]


def test_unreadable_log_is_an_error_not_a_failure(node: Path) -> None:
    (node / "var/log/pods/default_web_6f1b/app/0.log").unlink()
    section, ctx = run(node)
    assert section["status"] == "ok"
    assert "log_tail" not in ctx.pods[0]["containers"][0]
    assert section["errors"][0]["source"].startswith("/var/log/pods/")


def test_log_tail_keeps_the_newest() -> None:
    lines = "".join(f"2024-05-01T10:00:00.{i:09d}Z stdout F line {i}\n" for i in range(80))
    assert parse_cri_log(lines, 50) == [f"line {i}" for i in range(30, 80)]


def test_docker_json_file_lines() -> None:
    line = '{"log":"hello\\n","stream":"stdout","time":"2024-05-01T10:00:00.000000001Z"}\n'
    assert parse_cri_log(line, 50) == ["hello"]


def test_read_stat_real_process() -> None:
    stat = read_stat(Host(), os.getpid())
    assert stat.pid == os.getpid() and stat.ppid == os.getppid()
    assert stat.start_time > 0


def test_a_systemd_form_cgroups_path_runc_made_a_directory_of(node: Path) -> None:
    """runc without --systemd-cgroup given the systemd form "slice:prefix:name" a systemd
    kubelet's runtime writes (containerd/containerd#7276) creates a directory of that very
    name: the live cgroup.path says so, and the cgroup driver mismatch reads it there."""
    literal = f"/kubepods-burstable-pod6f1b.slice:cri-containerd:{CID}"
    write(node, "/proc/4242/cgroup", f"0::{literal}\n")
    write(node, f"/sys/fs/cgroup{literal}/memory.current", "132120576\n")
    _, ctx = run(node)
    assert ctx.pods[0]["containers"][1]["cgroup"]["path"] == literal
    document = base_document()
    document["pods"] = ctx.pods
    report = diagnose(parse_facts(document, "test"), load_rules(), None)
    assert "kubelet.cgroup-driver-mismatch" in {f.rule_id for f in report.findings}
