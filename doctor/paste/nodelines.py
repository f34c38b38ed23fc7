"""Node facts pasted a line at a time: `sysctl` output -> the node's limits, a `Taints:` line
of describe node cut from the rest -> the conditions those taints stand for.

sysctl prints `key = value`; /etc/sysctl.conf holds what is configured, not what is in effect
(eks-ami#1065 shows both, differing), so lines a `cat` printed are not read as limits. The node
lifecycle controller taints a node for its conditions (TaintNodesByCondition:
node.kubernetes.io/disk-pressure while DiskPressure is True, not-ready while Ready is False...),
so a taint tells its condition.
"""

from __future__ import annotations

import re
from typing import Any

SYSCTL = re.compile(r"\s*(?P<key>(?:fs|kernel|vm|net|user)\.[\w.-]+) = (?P<value>\S.*?)\s*$")
_LIMITS = {
    "fs.inotify.max_user_watches": "inotify_max_user_watches",
    "fs.inotify.max_user_instances": "inotify_max_user_instances",
    "fs.file-max": "file_handles_max",
}
TAINTS = re.compile(r"\s*Taints:\s+(?P<taints>\S.*?)\s*$")
_TAINT_CONDITIONS = {
    "node.kubernetes.io/disk-pressure": ("DiskPressure", "True"),
    "node.kubernetes.io/memory-pressure": ("MemoryPressure", "True"),
    "node.kubernetes.io/pid-pressure": ("PIDPressure", "True"),
    "node.kubernetes.io/not-ready": ("Ready", "False"),
    "node.kubernetes.io/unreachable": ("Ready", "Unknown"),
}


def sysctl_limit(line: str, command: str | None) -> dict[str, Any] | None:
    """The limits fact a sysctl output line gives ({} for a key no fact holds); None for a line
    that is not one, or a file's (`cat /etc/sysctl.conf`), which says what is configured."""
    match = SYSCTL.match(line)
    if match is None or (command is not None and not re.match(r"(?:sudo\s+)?sysctl\b", command)):
        return None
    key, value = match.group("key"), match.group("value")
    if key == "fs.file-nr":  # allocated, free, max
        numbers = value.split()
        if len(numbers) == 3 and all(n.isdigit() for n in numbers):
            used, maximum = int(numbers[0]) - int(numbers[1]), int(numbers[2])
            ratio = round(min(1.0, used / maximum), 4) if maximum else None
            return {
                "file_handles_used": used,
                "file_handles_max": maximum,
                "file_handles_used_ratio": ratio,
            }
        return {}
    fact = _LIMITS.get(key)
    return {fact: int(value)} if fact and value.isdigit() else {}


def taint_conditions(line: str) -> list[dict[str, Any]] | None:
    """The conditions a `Taints:` line's taints stand for; None for a line that is not one."""
    match = TAINTS.match(line)
    if match is None:
        return None
    conditions = []
    for taint in match.group("taints").split(","):
        key = taint.strip().split(":", 1)[0].split("=", 1)[0]
        if key in _TAINT_CONDITIONS:
            condition, status = _TAINT_CONDITIONS[key]
            conditions.append(
                {"type": condition, "status": status, "reason": None, "message": None}
            )
    return conditions
