"""The shim gatherer: shims found in /proc, mapped to sandboxes; orphans and lost shims."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from doctor.engine.examples import base_document
from doctor.facts.document import parse_facts
from doctor.gather import shim
from doctor.gather.context import GatherContext, GatherOptions
from doctor.gather.handoff import CriHandoff, Handoff
from doctor.gather.host import Host
from doctor.gather.shim import shim_flags

SANDBOX = "40176a367996ae359313f246f7bb5122bcd31bc4d33de7802ce08c63fd9efa91"
CONTAINER = "53940ebcbf87d9313bb88b1656bc189745b04414888305a7ec47aef9c55fcdaf"
ORPHAN = "4b5442885f9ab6cb609f8ea7a176855eae61425570508d71b7caa31955fc6ed0"
MOBY = "753143c31aa85fe7f1424f1e13cf1891510d377bbc86b8daa520c72b084051b6"
SHIM_ARGV = [
    "/usr/bin/containerd-shim-runc-v2",
    "-namespace",
    "k8s.io",
    "-id",
    SANDBOX,
    "-address",
    "/run/containerd/containerd.sock",
]


def stat_line(pid: int, comm: str, state: str, ppid: int, start: int = 123456) -> str:
    """/proc/<pid>/stat as the kernel writes it (52 fields; starttime is the 22nd)."""
    fields = [str(pid), f"({comm})", state, str(ppid), str(pid), str(pid), "0", "-1", "4194560"]
    fields += ["0"] * 12  # minflt .. itrealvalue
    fields += [str(start), "737280000", "2000"]
    fields += ["0"] * (52 - len(fields))
    return " ".join(fields) + "\n"


def proc(root: Path, pid: int, comm: str, argv: list[str], ppid: int, state: str = "S") -> None:
    directory = root / f"proc/{pid}"
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "stat").write_text(stat_line(pid, comm, state, ppid))
    (directory / "comm").write_text(comm + "\n")
    (directory / "cmdline").write_bytes(b"".join(a.encode() + b"\0" for a in argv))


def synthetic(root: Path) -> Host:
    proc(root, 1, "systemd", ["/sbin/init"], 0)
    proc(root, 800, "containerd", ["/usr/bin/containerd"], 1)
    proc(root, 4200, "containerd-shim", SHIM_ARGV, 1)
    proc(root, 4210, "pause", ["/pause"], 4200)
    proc(root, 4242, "nginx", ["nginx: master process nginx"], 4200)
    orphan = [*SHIM_ARGV[:4], ORPHAN, *SHIM_ARGV[5:]]
    proc(root, 5200, "containerd-shim", orphan, 1)
    legacy = [
        "containerd-shim",
        "-namespace",
        "moby",
        "-workdir",
        f"/var/lib/containerd/io.containerd.runtime.v1.linux/moby/{MOBY}",
        "-address",
        "/run/containerd/containerd.sock",
        "-containerd-binary",
        "/usr/bin/containerd",
    ]
    proc(root, 6200, "containerd-shim", legacy, 1)
    task = root / f"run/containerd/io.containerd.runtime.v2.task/k8s.io/{SANDBOX}"
    task.mkdir(parents=True)
    (task / "address").write_text("unix:///run/containerd/s/" + "ab" * 32)
    (task / "init.pid").write_text("4210")
    return Host(root)


def pods(sandbox_state: str = "SANDBOX_READY") -> list[dict[str, Any]]:
    return [
        {
            "name": "web",
            "namespace": "default",
            "sandbox": {"id": SANDBOX, "state": sandbox_state},
            "containers": [
                {"name": "app", "attempt": 0, "id": CONTAINER, "state": "CONTAINER_RUNNING"},
                {"name": "init", "attempt": 0, "id": "e" * 64, "state": "CONTAINER_EXITED"},
            ],
        }
    ]


def run(host: Host, handoff: Handoff | None = None, **kw: Any) -> GatherContext:
    ctx = GatherContext(GatherOptions(host_root=host.root), host)
    ctx.pods = kw.get("pods", pods())
    ctx.handoff = handoff or Handoff()
    ctx.sections[shim.Layer.SHIM] = section = shim.gather(ctx)
    document = base_document()
    document["layers"]["shim"] = section
    document["pods"] = ctx.pods
    parse_facts(document, "test")
    return ctx


def test_shims_and_what_they_serve(tmp_path: Path) -> None:
    ctx = run(synthetic(tmp_path), Handoff(cri=CriHandoff(sandbox_ids=[SANDBOX])))
    section = ctx.sections[shim.Layer.SHIM]
    assert section["status"] == "ok"
    by_pid = {s["pid"]: s for s in section["shims"]}
    assert sorted(by_pid) == [4200, 5200, 6200]
    pod_shim = by_pid[4200]
    assert pod_shim == {
        "pid": 4200,
        "id": SANDBOX,
        "namespace": "k8s.io",
        "address": "/run/containerd/containerd.sock",
        "binary": "containerd-shim-runc-v2",
        "serves": "pod",
        "alive": True,
        "parent_pid": 1,
        "children": [4210, 4242],
        "sandbox_known": True,
        "task": {
            "dir": f"/run/containerd/io.containerd.runtime.v2.task/k8s.io/{SANDBOX}",
            "address": "unix:///run/containerd/s/" + "ab" * 32,
            "init_pid": 4210,
        },
    }
    assert by_pid[5200]["sandbox_known"] is False  # an orphan: no sandbox has its id
    assert by_pid[6200]["serves"] == "container"
    assert by_pid[6200]["id"] == MOBY
    assert by_pid[6200]["sandbox_known"] is None  # moby: not a kubernetes sandbox


def test_pods_get_their_shim(tmp_path: Path) -> None:
    ctx = run(synthetic(tmp_path))
    pod = ctx.pods[0]
    assert pod["sandbox"]["shim"] == {"pid": 4200, "alive": True}
    assert pod["containers"][0]["shim"] == {"pid": 4200, "alive": True}


def test_a_container_of_an_older_sandbox_is_not_given_the_new_shim(tmp_path: Path) -> None:
    """Its shim SIGKILLed, the pod got a new sandbox (the real v1.36.3 kubelet does so at once):
    the container that died ran in the old sandbox, whose shim is gone; the new sandbox's live
    shim never served it. A running one in an old sandbox without a shim has lost it."""
    old = "0" * 64
    running = "1" * 64
    listed = pods()
    listed[0]["containers"] += [
        {"name": "app", "attempt": 0, "id": "d" * 64, "state": "CONTAINER_EXITED"},
        {"name": "side", "attempt": 0, "id": running, "state": "CONTAINER_RUNNING"},
    ]
    sandboxes = {"d" * 64: old, running: old, CONTAINER: SANDBOX}
    handoff = Handoff(cri=CriHandoff(container_sandboxes=sandboxes))
    ctx = run(synthetic(tmp_path), handoff, pods=listed)
    app, init, dead, side = ctx.pods[0]["containers"]
    assert app["shim"] == {"pid": 4200, "alive": True}  # the newest sandbox's own
    assert init["shim"] == {"pid": 4200, "alive": True}  # its sandbox not told: the newest's
    assert "shim" not in dead  # exited in the old sandbox: not the new shim
    assert side["shim"] == {"pid": None, "alive": False}


def test_one_shim_per_container(tmp_path: Path) -> None:
    """Runtimes without pod grouping start one shim per container, named by its id."""
    host = synthetic(tmp_path)
    argv = [*SHIM_ARGV[:4], CONTAINER, *SHIM_ARGV[5:]]
    (tmp_path / "proc/4200/cmdline").write_bytes(b"".join(a.encode() + b"\0" for a in argv))
    ctx = run(host)
    assert ctx.pods[0]["sandbox"]["shim"] == {"pid": None, "alive": False}
    assert ctx.pods[0]["containers"][0]["shim"] == {"pid": 4200, "alive": True}


def test_without_the_cri_list_orphans_cannot_be_told(tmp_path: Path) -> None:
    ctx = run(synthetic(tmp_path))
    by_pid = {s["pid"]: s for s in ctx.sections[shim.Layer.SHIM]["shims"]}
    assert by_pid[4200]["sandbox_known"] is True  # a pod of interest
    assert by_pid[5200]["sandbox_known"] is None


def test_running_container_whose_shim_died(tmp_path: Path) -> None:
    host = synthetic(tmp_path)
    for pid in (4200, 4210, 4242):
        for name in ("stat", "comm", "cmdline"):
            (tmp_path / f"proc/{pid}/{name}").unlink()
        (tmp_path / f"proc/{pid}").rmdir()
    ctx = run(host)
    pod = ctx.pods[0]
    assert pod["sandbox"]["shim"] == {"pid": None, "alive": False}
    assert pod["containers"][0]["shim"] == {"pid": None, "alive": False}
    assert "shim" not in pod["containers"][1]  # exited: no shim expected


def test_zombie_shim(tmp_path: Path) -> None:
    host = synthetic(tmp_path)
    (tmp_path / "proc/4200/stat").write_text(stat_line(4200, "containerd-shim", "Z", 1))
    (tmp_path / "proc/4200/cmdline").write_bytes(b"")  # a zombie's argv is gone
    ctx = run(host)
    zombie = next(s for s in ctx.sections[shim.Layer.SHIM]["shims"] if s["pid"] == 4200)
    assert zombie["alive"] is False and zombie["id"] is None
    assert ctx.pods[0]["sandbox"]["shim"] == {"pid": None, "alive": False}


def test_no_proc(tmp_path: Path) -> None:
    ctx = run(Host(tmp_path))
    section = ctx.sections[shim.Layer.SHIM]
    assert section["status"] == "absent"
    assert "shims" not in section
    assert "shim" not in ctx.pods[0]["sandbox"]  # could not look: nothing claimed


def test_state_dir_from_containerd_config(tmp_path: Path) -> None:
    host = synthetic(tmp_path)
    (tmp_path / "srv/state").mkdir(parents=True)
    (tmp_path / "run/containerd").rename(tmp_path / "srv/state/containerd")
    ctx = GatherContext(GatherOptions(host_root=tmp_path), host)
    ctx.sections[shim.Layer.CONTAINERD] = {
        "status": "ok",
        "config": {"state": "/srv/state/containerd"},
    }
    section = shim.gather(ctx)
    found = next(s for s in section["shims"] if s["pid"] == 4200)
    assert found["task"]["init_pid"] == 4210


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (SHIM_ARGV, {"namespace": "k8s.io", "id": SANDBOX, "address": SHIM_ARGV[-1]}),
        (
            ["shim", "--id=abc", "-debug", "-namespace", "k8s.io"],
            {"id": "abc", "debug": "true", "namespace": "k8s.io"},
        ),
        (
            [
                "shim",
                "-namespace",
                "k8s.io",
                "-address",
                "/a",
                "-publish-binary",
                "/b",
                "-id",
                "x",
                "start",
            ],
            {"namespace": "k8s.io", "address": "/a", "publish-binary": "/b", "id": "x"},
        ),
    ],
)
def test_flags(argv: list[str], expected: dict[str, str]) -> None:
    assert shim_flags(argv) == expected


@pytest.fixture
def fake_shim(tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A real process whose comm is `containerd-shim` (Python run through a symlink named
    containerd-shim-runc-v2) with a shim's flags and one child."""
    link = tmp_path / "containerd-shim-runc-v2"
    os.symlink(sys.executable, link)
    code = "import subprocess, time; subprocess.Popen(['sleep', '30']); time.sleep(30)"
    argv = [str(link), "-c", code, *SHIM_ARGV[1:]]
    child = subprocess.Popen(argv)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            kids = Path(f"/proc/{child.pid}/task/{child.pid}/children")
            if kids.exists() and kids.read_text().strip():
                break
            time.sleep(0.05)
        yield child
    finally:
        grandchildren = Path(f"/proc/{child.pid}/task/{child.pid}/children")
        pids = grandchildren.read_text().split() if grandchildren.exists() else []
        child.kill()  # our own test processes only
        child.wait(timeout=10)
        for pid in pids:
            subprocess.run(["kill", pid], check=False)


def test_real_process(fake_shim: subprocess.Popen[bytes]) -> None:
    ctx = run(Host(), pods=[])
    found = [s for s in ctx.sections[shim.Layer.SHIM]["shims"] if s["pid"] == fake_shim.pid]
    assert len(found) == 1, ctx.sections[shim.Layer.SHIM]
    real = found[0]
    assert real["id"] == SANDBOX and real["namespace"] == "k8s.io"
    assert real["alive"] is True
    assert real["parent_pid"] == os.getpid()
    assert len(real["children"]) == 1
