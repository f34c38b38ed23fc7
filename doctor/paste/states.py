"""A container's `State:` / `Last State:` block cut from `kubectl describe pod` -> its attempts.

Users paste the part of describe that shows how the container ended (`Last State: Terminated`,
`Reason: OOMKilled`, `Exit Code: 137`) without the pod's header or the container's name. The
fields are describe's (doctor/apiserver/describe.py reads them the same way in a whole
describe); whose container it is, facts.py decides as for a container's log.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from doctor.apiserver.describe import FIELD, parse_describe

START = re.compile(r"\s*(?:Last )?State:\s+(?:Terminated|Waiting|Running)\s*")
# the fields of a State block (pkg/describe's describeContainerState), the others the
# container's own (Ready, Restart Count, Image...)
_STATE_FIELDS = frozenset({"Reason", "Message", "Exit Code", "Signal", "Started", "Finished"})


def starts(line: str) -> bool:
    return bool(START.fullmatch(line))


def is_fragment(lines: Sequence[str]) -> bool:
    """A block that starts at a State line and holds only describe's `Key: value` lines."""
    shown = [line for line in lines if line.strip()]
    return bool(shown) and starts(shown[0]) and all(FIELD.match(line) for line in shown)


def attempts(lines: Sequence[str]) -> list[dict[str, Any]]:
    """The attempts the block tells, oldest first, read by describe.py as in a whole describe
    (the block laid out under a container of a pod, its own indentation aside): `Last State`
    is the run before the current one, and a last state means the container restarted at
    least once."""
    laid: list[str] = []
    keys: set[str] = set()
    for line in lines:
        match = FIELD.match(line.rstrip())
        if not match:
            continue
        key, value = match["key"], (match["value"] or "").strip()
        keys.add(key)
        indent = 6 if key in _STATE_FIELDS else 4
        laid.append(f"{' ' * indent}{key}:  {value}")
    if "Last State" in keys and "Restart Count" not in keys:
        laid.append("    Restart Count:  1")
    described = parse_describe("\n".join(["Name: unknown", "Containers:", "  unknown:", *laid]))
    found: list[dict[str, Any]] = described["pod"]["containers"]
    said = "Restart Count" in keys
    return [
        {
            k: v
            for k, v in a.items()
            if v is not None and k not in _NOT_SAID and (said or k != "restart_count")
        }
        for a in found
        if a.get("state")
    ]


# what the block never says: the container's name and image are describe's, not in the block
_NOT_SAID = frozenset({"name", "image", "id"})
