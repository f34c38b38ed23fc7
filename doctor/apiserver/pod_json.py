"""`kubectl get pod -o json` (a Pod, or a List of them) -> pods in the facts document's shape.

Each containerStatus becomes container attempts: the current state as attempt `restartCount`
(CONTAINER_WAITING with the kubelet's waiting reason, CONTAINER_RUNNING, or CONTAINER_EXITED),
and `lastState.terminated` as the attempt before it.
"""

from __future__ import annotations

from typing import Any

from doctor.apiserver.quantity import quantity_bytes
from doctor.apiserver.times import rfc3339, seconds_between


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def is_pod(item: Any) -> bool:
    return isinstance(item, dict) and (
        item.get("kind") == "Pod" or ("spec" in item and "containers" in _dict(item.get("spec")))
    )


def container_id(value: Any) -> str | None:
    """`containerd://0123…` -> the bare runtime id, as the CRI reports it."""
    text = _text(value)
    return text.split("://", 1)[-1] if text else None


def parse_pod(item: dict[str, Any]) -> dict[str, Any]:
    metadata, status = _dict(item.get("metadata")), _dict(item.get("status"))
    pod: dict[str, Any] = {
        "name": _text(metadata.get("name")) or "unknown",
        "namespace": _text(metadata.get("namespace")) or "default",
        "uid": _text(metadata.get("uid")),
        "phase": _text(status.get("phase")),
        "reason": _text(status.get("reason")),
        "message": _text(status.get("message")),
        "conditions": [
            {
                "type": str(condition.get("type")),
                "status": condition.get("status"),
                "reason": _text(condition.get("reason")),
                "message": _text(condition.get("message")),
            }
            for condition in _list(status.get("conditions"))
            if isinstance(condition, dict)
            and isinstance(condition.get("type"), str)
            and condition.get("status") in ("True", "False", "Unknown")
        ],
        "containers": [],
    }
    spec = _dict(item.get("spec"))
    images, limits = _spec_images(spec), _spec_memory_limits(spec)
    for key in ("initContainerStatuses", "containerStatuses"):
        for entry in _list(status.get(key)):
            if isinstance(entry, dict) and _text(entry.get("name")):
                for attempt in container_attempts(entry, images):
                    if limits.get(attempt["name"]) is not None:
                        attempt["resources"] = {"memory_limit_bytes": limits[attempt["name"]]}
                    pod["containers"].append(attempt)
    node = _text(_dict(item.get("spec")).get("nodeName"))
    return {"pod": pod, "node": node}


def _spec_images(spec: dict[str, Any]) -> dict[str, str]:
    images: dict[str, str] = {}
    for key in ("initContainers", "containers"):
        for container in _list(spec.get(key)):
            if isinstance(container, dict) and _text(container.get("name")):
                image = _text(container.get("image"))
                if image:
                    images[container["name"]] = image
    return images


def _spec_memory_limits(spec: dict[str, Any]) -> dict[str, int | None]:
    """resources.limits.memory per container: what the kubelet sets as the cgroup limit."""
    limits: dict[str, int | None] = {}
    for key in ("initContainers", "containers"):
        for container in _list(spec.get(key)):
            if isinstance(container, dict) and _text(container.get("name")):
                resources = _dict(_dict(container.get("resources")).get("limits"))
                limits[container["name"]] = quantity_bytes(resources.get("memory"))
    return limits


def container_attempts(entry: dict[str, Any], images: dict[str, str]) -> list[dict[str, Any]]:
    """The attempts one containerStatus tells of: the last terminated one, then the current."""
    name = entry["name"]
    restarts = _int(entry.get("restartCount"))
    current = restarts if restarts is not None else 0
    image = {
        "ref": _text(entry.get("image")) or images.get(name),
        "id": _text(entry.get("imageID")),
    }
    base = {"name": name, "restart_count": restarts, "image": image}
    attempts: list[dict[str, Any]] = []
    last = _dict(_dict(entry.get("lastState")).get("terminated"))
    if last and current >= 1:
        attempts.append({**base, "attempt": current - 1, **terminated(last)})
    state = _dict(entry.get("state"))
    record: dict[str, Any] = {
        **base,
        "attempt": current,
        "id": container_id(entry.get("containerID")),
    }
    if "waiting" in state:
        waiting = _dict(state["waiting"])
        record.update(
            state="CONTAINER_WAITING",
            reason=_text(waiting.get("reason")),
            message=_text(waiting.get("message")),
        )
    elif "running" in state:
        record.update(
            state="CONTAINER_RUNNING", started_at=rfc3339(_dict(state["running"]).get("startedAt"))
        )
    elif "terminated" in state:
        record.update(terminated(_dict(state["terminated"])))
    attempts.append(record)
    return attempts


def terminated(state: dict[str, Any]) -> dict[str, Any]:
    started, finished = state.get("startedAt"), state.get("finishedAt")
    return {
        "id": container_id(state.get("containerID")),
        "state": "CONTAINER_EXITED",
        "exit_code": _int(state.get("exitCode")),
        "signal": _int(state.get("signal")),
        "reason": _text(state.get("reason")),
        "message": _text(state.get("message")),
        "started_at": rfc3339(started),
        "finished_at": rfc3339(finished),
        "run_seconds": seconds_between(started, finished),
    }
