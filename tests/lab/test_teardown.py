"""`lab down` leaves nothing behind: no process, mount, network namespace, link, iptables rule
or cgroup — checked on a lab of its own, with running, crashed and OOM-killed pods in it, a
registry it started, and a pod with its own network namespace, veth and bridge (cni-ip-exhausted,
left as it is: `down` must remove all of it)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from doctor.lab import scenarios
from doctor.lab.registry import unavailable_reason as registry_missing
from doctor.lab.runtime import Lab
from tests.lab.support import require_lab


def network_state() -> dict[str, str]:
    """What the node's network looks like (netns, links, iptables), to compare."""
    commands = {
        "netns": ["ip", "netns", "list"],
        "links": ["ip", "-o", "link", "show"],
        "iptables": ["iptables-save"],
    }
    state = {}
    for name, command in commands.items():
        if shutil.which(command[0]):
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            # counters change by themselves; the rules and names must not
            state[name] = "\n".join(
                line.split(" [")[0] for line in done.stdout.splitlines() if line[:1] != "#"
            )
    return state


def lab_processes(root: Path) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                argv = Path(f"/proc/{entry}/cmdline").read_bytes()
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if str(root).encode() in argv and stat.rpartition(")")[2].split()[0] != "Z":
                found.append(int(entry))
    return found


def test_down_leaves_nothing_behind() -> None:
    require_lab()
    before = network_state()
    root = Path(tempfile.mkdtemp(prefix="sd-down-", dir="/tmp"))
    lab = Lab(root)
    try:
        lab.up()
        names = ["healthy", "crash-loop", "oom-kill", "cni-ip-exhausted"]
        if registry_missing() is None or os.environ.get("CI") == "true":
            names.append("image-not-found")
        for name in names:
            scenarios.run(lab, scenarios.get(name))
        assert lab_processes(root) and lab.mounts() and lab.cgroup_dirs()
        assert Path("/sys/class/net", lab.layout.tiny_bridge).exists()  # the pod network was made
        cgroups = lab.cgroup_dirs()
        done = subprocess.run(
            [sys.executable, "-m", "doctor", "lab", "down", "--lab-dir", str(root)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    finally:
        if root.exists():
            Lab(root).down()
    assert lab_processes(root) == []
    assert [line for line in Path("/proc/self/mountinfo").read_text().splitlines()
            if f" {root}/" in line] == []  # fmt: skip
    assert [str(p) for p in cgroups if p.exists()] == []
    assert not root.exists()
    assert not Path("/sys/class/net", lab.layout.tiny_bridge).exists()
    assert network_state() == before
