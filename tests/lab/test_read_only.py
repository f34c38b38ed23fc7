"""Read-only proof on a real stack: `diagnose`, `check` and `facts` leave the runtime's state,
the lab's cgroups and the lab's files exactly as they found them.

What is compared is what stackdoctor could change: every sandbox and container with its state
and attempt (a stop, start, removal or re-creation would show); every cgroup dir of the lab and
the contents of its settings files and member lists (a limit written, a process moved, killed
or a cgroup made or removed would show — usage counters that move by themselves are left
out); every path under the lab dir with its type, size and mtime (a file written, created,
truncated or removed would show — atime is not compared: reading sets it). Left out of the
file comparison, because containerd changes them by itself while it runs: its bolt metadata db
and its own log; a control snapshot taken before stackdoctor runs proves the rest is quiet.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from doctor.lab import scenarios
from doctor.lab.cri import runtime_state
from doctor.lab.runtime import Lab
from tests.lab import diagnose as sd

# cgroup files holding settings or membership (v1 and v2 names); counters are not compared
CGROUP_SETTINGS = {
    "cgroup.procs", "tasks", "notify_on_release", "cgroup.subtree_control", "cgroup.type",
    "cgroup.freeze", "cpu.shares", "cpu.cfs_period_us", "cpu.cfs_quota_us", "cpu.max",
    "cpu.weight", "cpuset.cpus", "cpuset.mems", "memory.limit_in_bytes",
    "memory.soft_limit_in_bytes", "memory.memsw.limit_in_bytes", "memory.oom_control",
    "memory.swappiness", "memory.max", "memory.high", "memory.low", "memory.min",
    "memory.swap.max", "memory.oom.group", "pids.max", "hugetlb.2MB.limit_in_bytes",
    "freezer.state", "devices.list", "blkio.weight", "io.max", "io.weight",
}  # fmt: skip
# changed by containerd itself while it runs, whoever asks it what
VOLATILE_FILES = ("io.containerd.metadata.v1.bolt/meta.db", "var/log/containerd.log")
SCENARIOS = ("healthy", "crash-loop", "cpu-throttling", "exec-not-found", "pids-exhausted")


def cgroup_state(lab: Lab) -> dict[str, dict[str, str]]:
    state: dict[str, dict[str, str]] = {}
    for top in lab.cgroup_dirs():
        for directory, _, files in os.walk(top):
            settings = {}
            for name in sorted(set(files) & CGROUP_SETTINGS):
                try:
                    text = Path(directory, name).read_text()
                except OSError as exc:  # write-only or not readable: its error is its state
                    text = f"<{exc.strerror}>"
                # member lists: order is not state
                settings[name] = (
                    " ".join(sorted(text.split())) if name in ("cgroup.procs", "tasks") else text
                )
            state[directory] = settings
    return state


def file_state(lab: Lab) -> dict[str, tuple[str, int, int]]:
    state: dict[str, tuple[str, int, int]] = {}
    root = lab.layout.root
    for directory, dirs, files in os.walk(root):  # symlinks (host/proc, host/sys) not followed
        for name in dirs + files:
            path = Path(directory, name)
            relative = str(path.relative_to(root))
            if relative.endswith(VOLATILE_FILES):
                continue
            try:
                st = path.lstat()
            except FileNotFoundError:
                continue
            kind = "l" if path.is_symlink() else "d" if path.is_dir() else "f"
            size = 0 if kind == "d" else st.st_size
            state[relative] = (kind, size, st.st_mtime_ns)
    return state


def snapshot(lab: Lab) -> dict[str, Any]:
    return {
        "runtime": runtime_state(lab.layout.socket),
        "cgroups": cgroup_state(lab),
        "files": file_state(lab),
    }


def differences(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for part in before:
        a, b = before[part], after[part]
        changed = {k: (a.get(k), b.get(k)) for k in set(a) | set(b) if a.get(k) != b.get(k)}
        if changed:
            out[part] = changed
    return out


def test_diagnose_check_and_facts_change_nothing(lab: Lab) -> None:
    for name in SCENARIOS:
        if name not in lab.state.scenarios:
            scenarios.run(lab, scenarios.get(name))
    time.sleep(1)  # the last exits are handled and logged
    first = snapshot(lab)
    time.sleep(1)
    control = snapshot(lab)
    # the control: with nobody asking, the compared state is still (else the test is moot)
    assert differences(first, control) == {}
    for name in SCENARIOS:
        pod = scenarios.get(name).pod_ref
        for verb in (["diagnose", pod], ["facts", pod]):
            code, _, err, _ = (
                sd.stackdoctor(lab, *verb, "--output", "json")
                if verb[0] == "diagnose"
                else sd.stackdoctor(lab, *verb)
            )
            assert code in (0, 1), err
    for verb in (["check", "--pods"], ["facts", "--all-pods"]):
        code, _, err, _ = sd.stackdoctor(lab, *verb)
        assert code in (0, 1), err
    after = snapshot(lab)
    assert differences(control, after) == {}
    assert control["runtime"] and control["cgroups"] and control["files"]
