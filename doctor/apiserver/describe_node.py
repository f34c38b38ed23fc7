"""The text of `kubectl describe node`: its name and the Conditions table -> the node's
conditions, as node JSON gives them (node_json.py).

The table's cells are read at their header's columns (kubectl aligns every row to them); the
Message column runs to the end of the line.
"""

from __future__ import annotations

import re
from typing import Any

from doctor.apiserver.node_json import STATUSES

_NAME = re.compile(r"(?m)^Name:\s+(?P<name>\S+)\s*$")
_CONDITIONS = re.compile(r"(?m)^Conditions:\s*\n(?P<header>[ \t]+Type\s+Status\b.*)\n")
_NODE_FIELDS = re.compile(r"(?m)^(?:Roles|Taints|Unschedulable|Addresses|Capacity):")


def looks_like_describe_node(text: str) -> bool:
    return bool(_NAME.search(text) and _CONDITIONS.search(text) and _NODE_FIELDS.search(text))


def parse_describe_node(text: str) -> tuple[str | None, list[dict[str, Any]]]:
    """(the node's name, its conditions as the facts keep them)."""
    name = _NAME.search(text)
    table = _CONDITIONS.search(text)
    if table is None:
        return (name.group("name") if name else None), []
    header = table.group("header")
    columns = {m.group(): m.start() for m in re.finditer(r"\S+", header)}
    conditions: list[dict[str, Any]] = []
    for line in text[table.end() :].split("\n"):
        if not line.strip() or not line[0].isspace():
            break
        if set(line.strip()) <= {"-", " "}:
            continue
        cell = _cells(line, columns)
        if cell("Type") and cell("Status") in STATUSES:
            conditions.append(
                {
                    "type": cell("Type"),
                    "status": cell("Status"),
                    "reason": cell("Reason") or None,
                    "message": cell("Message", to_end=True) or None,
                }
            )
    return (name.group("name") if name else None), conditions


def _cells(line: str, columns: dict[str, int]) -> Any:
    starts = sorted(columns.values())

    def cell(column: str, to_end: bool = False) -> str:
        start = columns.get(column)
        if start is None:
            return ""
        later = [s for s in starts if s > start]
        end = None if to_end or not later else later[0]
        return line[start:end].strip()

    return cell
