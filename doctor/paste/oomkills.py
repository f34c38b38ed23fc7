"""The kernel's memory-cgroup OOM kills in the node's kernel log -> whose container each was.

A memcg OOM kill is a cgroup reaching its own memory limit, not the node running out. Its
record names a container only in two ways, and only those anchor it to one (docs/diagnosis.md,
evidence and its subject): the cgroup path of kernels 4.19+ (`oom-kill:constraint=
CONSTRAINT_MEMCG,...,task_memcg=/kubepods/burstable/pod<uid>/<container id>,...`), or the
victim's oom_score_adj when it is one the kubelet gives a container's processes
(pkg/kubelet/qos/policy.go: Guaranteed -997, -998 before 1.11, BestEffort 1000, Burstable
2..999, 3 since 1.11): a process of some pod's container, which the paste's pod is when the
paste is about one. A kill with neither (a host service under its own MemoryMax, or a kernel
before both) is no container's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from doctor.paste.proc_cgroup import owner as cgroup_owner

# mm/oom_kill.c: "Memory cgroup out of memory: Killed process %d (%s) total-vm:... UID:%u
# pgtables:%lukB oom_score_adj:%hd" (5.x); "Kill process %d (%s) score %u or sacrifice child"
# before 4.19 (no oom_score_adj on the line)
_KILLED = re.compile(
    r"Memory cgroup out of memory: Kill(?:ed)? process (?P<pid>\d+) \((?P<comm>[^)]*)\)"
    r"(?:.*?\boom_score_adj:(?P<adj>-?\d+))?"
)
# mm/oom_kill.c dump_oom_summary (4.19+): the constraint, the memcgs, the victim
_SUMMARY = re.compile(
    r"oom-kill:constraint=CONSTRAINT_MEMCG,.*?\btask_memcg=(?P<memcg>[^,]*),"
    r"task=(?P<comm>[^,]*),pid=\s*(?P<pid>\d+)"
)
_GUARANTEED = (-998, -997)
_BURSTABLE_OR_BESTEFFORT = range(2, 1001)


@dataclass(frozen=True)
class MemcgKill:
    pid: str
    comm: str
    oom_score_adj: int | None = None
    pod_uid: str | None = None  # from the memcg path
    container_id: str | None = None

    @property
    def a_containers(self) -> bool:
        """The record says the victim was a container's process."""
        adj = self.oom_score_adj
        return self.pod_uid is not None or (
            adj is not None and (adj in _GUARANTEED or adj in _BURSTABLE_OR_BESTEFFORT)
        )


def memcg_kills(messages: Iterable[str]) -> list[MemcgKill]:
    """Each victim of a memcg OOM kill the messages record, once (the summary line and the
    "Killed process" line of one kill are merged by pid), in order."""
    found: dict[str, MemcgKill] = {}
    for message in messages:
        killed = _KILLED.search(message)
        summary = _SUMMARY.search(message)
        if killed:
            pid, adj = killed["pid"], killed["adj"]
            known = found.get(pid) or MemcgKill(pid, killed["comm"])
            if adj is not None:
                known = MemcgKill(pid, known.comm, int(adj), known.pod_uid, known.container_id)
            found[pid] = known
        elif summary:
            pid, memcg = summary["pid"], summary["memcg"]
            known = found.get(pid) or MemcgKill(pid, summary["comm"])
            uid, container_id = cgroup_owner(memcg)
            found[pid] = MemcgKill(pid, known.comm, known.oom_score_adj, uid, container_id)
    return list(found.values())
