"""`cat /proc/PID/cgroup` output -> the process's cgroup path, and whose container it is.

The kernel prints one line per hierarchy: `N:controllers:/path` on cgroup v1
(`12:perf_event:/kubepods/burstable/pod<uid>/<id>`), the single `0::/path` on v2. The path is
read as the process gatherer reads the live file (gather/cgroups.py): v2's, else the memory or
cpu controller's, else the first hierarchy's (a user often pastes one line). A container's
cgroup names its pod's uid and its own id, in the cgroupfs layout (`pod<uid>/<id>`) and the
systemd one (`kubepods-burstable-pod<uid_with_underscores>.slice/cri-containerd-<id>.scope`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from doctor.gather.cgroups import parse_proc_cgroup

# `hierarchy-id:controller,list:/path`; v2's controller list is empty, v1's named hierarchies
# (`1:name=systemd:/...`) carry a name= instead
LINE = re.compile(r"\d+:(?:[\w,=-]*):/\S*")
# the command that printed it names the file: `cat /proc/80595/cgroup`, `/proc/self/cgroup`
COMMAND = re.compile(r"/proc/(?:\d+|self)/cgroup\b")
# the pod's uid in a cgroup path: cgroupfs `pod<uid>`, systemd `kubepods-...-pod<uid_with_>.slice`;
# a static pod's uid is the kubelet's hash of its manifest, 32 hex digits without dashes
_POD_UID = re.compile(
    r"pod(?P<uid>[0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12}"
    r"|[0-9a-f]{32})(?=[/.]|$)"
)
# the container's id: its own directory (cgroupfs), its scope (`cri-containerd-<id>.scope`,
# `docker-<id>.scope`, `crio-<id>.scope`), or the name of a systemd-form cgroupsPath
# (`<slice>:cri-containerd:<id>`) that runc took as a plain path
_CONTAINER_ID = re.compile(r"(?:^|[/:-])(?P<id>[0-9a-f]{64})(?:\.scope)?$")


@dataclass(frozen=True)
class ProcessCgroup:
    """One process's cgroup, as /proc/PID/cgroup told it."""

    path: str
    pod_uid: str | None  # with dashes, as the API has it
    container_id: str | None


def is_output(lines: Sequence[str], command: str | None) -> bool:
    """Every line is a /proc/PID/cgroup line, printed by a command that reads one (or alone)."""
    texts = [line.strip() for line in lines if line.strip()]
    if not texts or not all(LINE.fullmatch(text) for text in texts):
        return False
    return command is None or bool(COMMAND.search(command))


def read(lines: Sequence[str]) -> ProcessCgroup:
    """The process's cgroup path and the pod and container it names (None where it names
    none: a host process)."""
    paths = parse_proc_cgroup("\n".join(line.strip() for line in lines))
    path = paths.get("") or paths.get("memory") or paths.get("cpu") or next(iter(paths.values()))
    uid, container_id = owner(path)
    return ProcessCgroup(path, uid, container_id)


def owner(path: str) -> tuple[str | None, str | None]:
    """The pod uid (with dashes) and the container id a cgroup path names."""
    uid = _POD_UID.search(path)
    container = _CONTAINER_ID.search(path)
    return (
        uid["uid"].replace("_", "-") if uid else None,
        container["id"] if container else None,
    )
