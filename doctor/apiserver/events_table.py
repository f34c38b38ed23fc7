"""The table `kubectl get events` prints (default, `-A`, `-o wide`, and the pre-1.19 layout) ->
events per pod.

kubectl aligns every column to its widest cell, header included, so each cell is read at its
header's column. Only events about pods are kept: `pod/NAME` in OBJECT (or KIND `Pod` and NAME
in the old layout). Without a NAMESPACE column the namespace is not printed: None.
"""

from __future__ import annotations

import re
from typing import Any

EVENTS_HEADER = re.compile(r"(?:NAMESPACE\s+)?LAST SEEN\s+.*\bTYPE\s+REASON\s+.*MESSAGE")
_COLUMN = re.compile(r"\S+(?: \S+)*")  # names are 2+ spaces apart; "LAST SEEN" is one name
_COUNT = re.compile(r"\(x(\d+) over ")

EventRow = tuple[str | None, str, dict[str, Any]]  # (namespace or None, pod, event)


def looks_like_events_table(text: str) -> bool:
    return bool(EVENTS_HEADER.match(text.lstrip("\n")))


def parse_events_table(text: str) -> list[EventRow]:
    lines = [line for line in text.split("\n") if line.strip()]
    if not lines:
        return []
    header = lines[0]
    columns = [(m.group(), m.start()) for m in _COLUMN.finditer(header)]
    rows: list[EventRow] = []
    for line in lines[1:]:
        cells = {
            name: line[start:end].strip()
            for (name, start), end in zip(
                columns, [start for _, start in columns[1:]] + [len(line)], strict=True
            )
        }
        if cells.get("MESSAGE") is not None and columns[-1][0] == "MESSAGE":
            cells["MESSAGE"] = line[columns[-1][1] :].strip()
        row = _row(cells)
        if row is not None:
            rows.append(row)
    return rows


def _row(cells: dict[str, str]) -> EventRow | None:
    kind, _, name = cells.get("OBJECT", "").partition("/")
    if not cells.get("OBJECT"):
        kind, name = cells.get("KIND", ""), cells.get("NAME", "")
    if kind.lower() != "pod" or not name or not cells.get("REASON"):
        return None
    count = _COUNT.search(cells.get("LAST SEEN", ""))
    number = cells.get("COUNT", "")
    event: dict[str, Any] = {
        "reason": cells["REASON"],
        "message": cells.get("MESSAGE", ""),
        "count": int(count.group(1)) if count else int(number) if number.isdigit() else None,
        "source": (cells.get("SOURCE") or "").split(",")[0] or None,
        "last_seen": None,  # the table prints ages, not times
    }
    if cells.get("TYPE") in ("Normal", "Warning"):
        event["type"] = cells["TYPE"]
    return cells.get("NAMESPACE") or None, name, event
