"""`kubectl get events -o json` (a List of Events, or one Event) -> events per pod, and the
node's own events."""

from __future__ import annotations

from typing import Any

from doctor.apiserver.times import rfc3339

PodKey = tuple[str, str]  # (namespace, name)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def is_event(item: Any) -> bool:
    return isinstance(item, dict) and (item.get("kind") == "Event" or "involvedObject" in item)


def parse_event(item: dict[str, Any]) -> tuple[PodKey, str | None, dict[str, Any]] | None:
    """((namespace, pod), pod uid, event) for an event about a pod; None for other objects."""
    involved = _involved(item, "Pod")
    event = _event(item)
    if involved is None or event is None:
        return None
    namespace = involved.get("namespace") or _dict(item.get("metadata")).get("namespace")
    uid = involved.get("uid") if isinstance(involved.get("uid"), str) else None
    return (str(namespace or "default"), involved["name"]), uid, event


def parse_node_event(item: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """(node name, event) for an event about a node (the kubelet's SystemOOM,
    EvictionThresholdMet, the node controller's NodeNotReady...); None for other objects."""
    involved = _involved(item, "Node")
    event = _event(item)
    if involved is None or event is None:
        return None
    return involved["name"], event


def _involved(item: dict[str, Any], kind: str) -> dict[str, Any] | None:
    involved = _dict(item.get("involvedObject") or item.get("regarding"))
    if involved.get("kind") != kind or not isinstance(involved.get("name"), str):
        return None
    return involved


def _event(item: dict[str, Any]) -> dict[str, Any] | None:
    reason, message = item.get("reason"), item.get("message") or item.get("note")
    if not isinstance(reason, str):
        return None
    series = _dict(item.get("series"))
    count = item.get("count") if isinstance(item.get("count"), int) else series.get("count")
    source = _dict(item.get("source")).get("component") or item.get("reportingComponent")
    event: dict[str, Any] = {
        "reason": reason,
        "message": message if isinstance(message, str) else "",
        "count": count if isinstance(count, int) and not isinstance(count, bool) else None,
        "source": source if isinstance(source, str) and source else None,
        "first_seen": rfc3339(item.get("firstTimestamp") or item.get("eventTime")),
        "last_seen": rfc3339(
            item.get("lastTimestamp") or series.get("lastObservedTime") or item.get("eventTime")
        ),
    }
    if item.get("type") in ("Normal", "Warning"):
        event["type"] = item["type"]
    return event
