"""`df -h` / `df -i` (also -T, -P, -k) output -> the node's disk facts.

The facts hold the directories the stack writes to (/var/lib/containerd, /var/lib/kubelet,
/var/log: gather/node.py); each gets the figures of the filesystem mounted nearest above it
among the rows. `Use%` / `IUse%` is used as printed (df rounds up), as the ratio.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from doctor.gather.node import DEFAULT_CONTAINERD_ROOT, KUBELET_ROOT, VAR_LOG

STACK_PATHS = (DEFAULT_CONTAINERD_ROOT, KUBELET_ROOT, VAR_LOG)
_PERCENT = re.compile(r"(\d+)%")


def df_rows(lines: Sequence[str]) -> tuple[bool, dict[str, float]]:
    """(whether the table is `df -i`'s, {mount point: used ratio})."""
    header = lines[0].split()
    inodes = "IUse%" in header
    typed = "Type" in header
    width = 6 if typed else 5  # fields before "Mounted on"
    used: dict[str, float] = {}
    pending: list[str] = []
    for line in lines[1:]:
        fields = pending + line.split()
        if len(fields) < width + 1:
            pending = fields  # a long device name on a line of its own (df without -P)
            continue
        pending = []
        percent = _PERCENT.fullmatch(fields[width - 1])
        if percent is not None:
            used[" ".join(fields[width:])] = int(percent.group(1)) / 100
    return inodes, used


def disks(tables: Sequence[Sequence[str]]) -> list[dict[str, Any]]:
    """The stack's directories with the figures of the filesystems the tables show."""
    space: dict[str, float] = {}
    inodes: dict[str, float] = {}
    for lines in tables:
        is_inodes, used = df_rows(lines)
        (inodes if is_inodes else space).update(used)
    found = []
    for path in STACK_PATHS:
        space_mount, inodes_mount = _nearest(path, space), _nearest(path, inodes)
        if space_mount is None and inodes_mount is None:
            continue
        disk: dict[str, Any] = {"path": path, "mount": space_mount or inodes_mount}
        if space_mount is not None:
            disk["used_ratio"] = space[space_mount]
        if inodes_mount is not None:
            disk["inodes_used_ratio"] = inodes[inodes_mount]
        found.append(disk)
    return found


def _nearest(path: str, mounts: dict[str, float]) -> str | None:
    """The longest mount point that holds `path`."""
    holding = [m for m in mounts if m == "/" or path == m or path.startswith(m.rstrip("/") + "/")]
    return max(holding, key=len, default=None)
