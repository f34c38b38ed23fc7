"""`kubectl get node -o json` (a Node, or a List of them) -> the node's name and conditions, the
facts' `layers.apiserver.node_conditions`."""

from __future__ import annotations

from typing import Any

STATUSES = ("True", "False", "Unknown")


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def is_node(item: Any) -> bool:
    return isinstance(item, dict) and item.get("kind") == "Node"


def parse_node(item: dict[str, Any]) -> tuple[str | None, list[dict[str, Any]]]:
    """(the node's name, its conditions as the facts keep them)."""
    metadata, status = item.get("metadata"), item.get("status")
    name = _text(metadata.get("name")) if isinstance(metadata, dict) else None
    conditions = status.get("conditions") if isinstance(status, dict) else None
    if not isinstance(conditions, list):
        conditions = []
    return name, [
        {
            "type": condition["type"],
            "status": condition["status"],
            "reason": _text(condition.get("reason")),
            "message": _text(condition.get("message")),
        }
        for condition in conditions
        if isinstance(condition, dict)
        and isinstance(condition.get("type"), str)
        and condition.get("status") in STATUSES
    ]
