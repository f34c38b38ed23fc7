"""Read-only proof on the real cluster: `diagnose`, `check` and `facts` leave the runtime's
state, the lab's cgroups and the lab's files exactly as they found them.

What is compared is what stackdoctor could change: every sandbox and container with its state
and attempt (a stop, start, removal or re-creation would show); every cgroup dir of the lab and
the contents of its settings files and member lists (a limit written, a process moved, killed
or a cgroup made or removed would show — usage counters that move by themselves are left
out); every path under the lab dir with its type, size and mtime (a file written, created,
truncated or removed would show — atime is not compared: reading sets it). Left out of the
file comparison, because they change by themselves while the lab runs: containerd's bolt
metadata db and its log, and the control plane's etcd data and logs. The kubelet, which changes
the node by itself all the time (statuses, probes, restarts), is frozen (SIGSTOP) while the
snapshots are taken and stackdoctor runs — stackdoctor then meets a kubelet whose healthz does
not answer, which it must survive; a control snapshot taken before stackdoctor runs proves the
rest is quiet.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from doctor.lab.cri import runtime_state
from doctor.lab.kube import scenarios
from doctor.lab.runtime import Lab
from tests.lab import diagnose as sd
from tests.lab.cluster_support import apply, pod

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
# changed by containerd and the control plane themselves while they run, whoever asks what
VOLATILE_FILES = ("io.containerd.metadata.v1.bolt/meta.db", "var/log/containerd.log")
VOLATILE_DIRS = ("kube/etcd", "host/var/log/kube-", "host/var/log/etcd")
SCENARIOS = ("healthy", "cpu-throttling")
# failed for good (restartPolicy Never): their state holds still
FAILED = {
    "exited-3": ["sh", "-c", "echo 'fatal: no config' >&2; exit 3"],
    "never-started": ["/app/server"],
}


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
            if relative.endswith(VOLATILE_FILES) or relative.startswith(VOLATILE_DIRS):
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


@contextlib.contextmanager
def kubelet_frozen(lab: Lab) -> Iterator[None]:
    pid = lab.cluster.state.pids["kubelet"]
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


def settled(pod_json: dict[str, object]) -> bool:
    state = scenarios.container_status(pod_json).get("state") or {}
    return "terminated" in state


def test_diagnose_check_and_facts_change_nothing(cluster: Lab) -> None:
    for name in SCENARIOS:
        scenarios.run(cluster, scenarios.get(name))
    for name, command in FAILED.items():
        apply(cluster, pod(name, [{"name": "app", "command": command}], restartPolicy="Never"))
        scenarios.wait_pod(cluster, name, settled)
    pods = [f"{scenarios.NAMESPACE}/{name}" for name in (*SCENARIOS, *FAILED)]
    try:
        time.sleep(2)  # the last exits are handled and logged
        with kubelet_frozen(cluster):
            first = snapshot(cluster)
            time.sleep(1)
            control = snapshot(cluster)
            # the control: with nobody asking, the compared state is still (else the test is moot)
            assert differences(first, control) == {}
            for ref in pods:
                for verb in (["diagnose", ref, "--output", "json"], ["facts", ref]):
                    code, _, err, _ = sd.stackdoctor(cluster, *verb, timeout=2)
                    assert code in (0, 1), err
            for verb in (["check", "--pods"], ["facts", "--all-pods"]):
                code, _, err, _ = sd.stackdoctor(cluster, *verb, timeout=2)
                assert code in (0, 1), err
            after = snapshot(cluster)
        assert differences(control, after) == {}
        assert control["runtime"] and control["cgroups"] and control["files"]
    finally:
        for name in (*SCENARIOS, *FAILED):
            cluster.cluster.kubectl(
                "delete", "pod", name, "--grace-period=0", "--force", "--ignore-not-found"
            )
