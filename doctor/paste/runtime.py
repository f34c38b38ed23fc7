"""What the runtime's own tools print of pods and containers, into the CRI's facts:
`crictl ps -a` / `crictl pods` tables, `crictl inspect` / `crictl inspectp` JSON (the CRI's
verbose ContainerStatus / PodSandboxStatus) and `docker inspect` JSON of a dockershim node.

Each gives a `Found` record: the sandbox or container attempt in facts form (the fields the live
CRI gatherer fills, gather/cri/pods.py) and what it says of its pod (labels, names, the sandbox
id), for facts.py to attach to a pod. A table gives less than a status answer (no exit code, a
truncated id, a relative creation time): what it does not say stays unset.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from doctor.gather.cri.pods import NAME_LABEL, NAMESPACE_LABEL, UID_LABEL, spec_resources

CONTAINER_NAME_LABEL = "io.kubernetes.container.name"
_RESTARTS = "io.kubernetes.container.restartCount"
# crictl prints the CRI enum (old releases) or its short form; docker its own states
_CONTAINER_STATES = {
    "running": "CONTAINER_RUNNING",
    "exited": "CONTAINER_EXITED",
    "created": "CONTAINER_CREATED",
    "unknown": "CONTAINER_UNKNOWN",
    "dead": "CONTAINER_EXITED",
}
_SANDBOX_STATES = {"ready": "SANDBOX_READY", "notready": "SANDBOX_NOTREADY"}


@dataclass(frozen=True)
class PodKey:
    """What a record says of its pod: any of these may be unknown."""

    namespace: str | None = None
    name: str | None = None
    uid: str | None = None
    sandbox_id: str | None = None  # whole, or the prefix a table prints


@dataclass
class Found:
    """Sandboxes and container attempts read from the runtime's tools, in paste order."""

    sandboxes: list[tuple[PodKey, dict[str, Any]]] = field(default_factory=list)
    containers: list[tuple[PodKey, dict[str, Any]]] = field(default_factory=list)


# -- tables -------------------------------------------------------------------------------------


def columns(lines: Sequence[str]) -> list[dict[str, str]]:
    """The rows of a table Go's tabwriter aligned, by the header's column names (a column may
    hold spaces: `3 days ago`)."""
    header = lines[0]
    starts = [m.start() for m in re.finditer(r"(?<!\S)\S+(?: \S+)*", header)]
    names = [header[s:e].strip() for s, e in zip(starts, [*starts[1:], None], strict=True)]
    rows = []
    for line in lines[1:]:
        cells = [line[s:e].strip() for s, e in zip(starts, [*starts[1:], None], strict=True)]
        rows.append(dict(zip(names, cells, strict=True)))
    return rows


def ps_table(lines: Sequence[str], found: Found) -> None:
    """`crictl ps [-a]`: CONTAINER, IMAGE, CREATED, STATE, NAME, ATTEMPT, POD ID[, POD]."""
    for row in columns(lines):
        attempt = row.get("ATTEMPT", "")
        container: dict[str, Any] = {
            "name": row.get("NAME") or "unknown",
            "attempt": int(attempt) if attempt.isdigit() else 0,
            "id": row.get("CONTAINER") or row.get("CONTAINER ID") or None,
            "state": _container_state(row.get("STATE", "")),
            "image": {"ref": row.get("IMAGE") or None, "id": None},
        }
        pod = PodKey(name=row.get("POD") or None, sandbox_id=row.get("POD ID") or None)
        found.containers.append((pod, _unset_dropped(container)))


def pods_table(lines: Sequence[str], found: Found) -> None:
    """`crictl pods`: POD ID, CREATED, STATE, NAME, NAMESPACE, ATTEMPT[, RUNTIME]."""
    for row in columns(lines):
        sandbox = {
            "id": row.get("POD ID") or None,
            "state": _SANDBOX_STATES.get(row.get("STATE", "").lower().removeprefix("sandbox_")),
            "runtime_handler": row.get("RUNTIME") or None,
        }
        pod = PodKey(row.get("NAMESPACE") or None, row.get("NAME") or None, None, sandbox["id"])
        found.sandboxes.append((pod, _unset_dropped(sandbox)))


# -- JSON ---------------------------------------------------------------------------------------


def is_cri_status(document: Any) -> bool:
    """`crictl inspect`/`inspectp` output: {"status": {...}, "info": {...}}."""
    return (
        isinstance(document, dict)
        and isinstance(document.get("status"), dict)
        and "metadata" in document["status"]
    )


def is_docker_inspect(document: Any) -> bool:
    return isinstance(document, dict) and "State" in document and "Config" in document


def cri_status(document: Mapping[str, Any], found: Found) -> None:
    status, info = document["status"], _obj(document, "info")
    meta, labels = _obj(status, "metadata"), _obj(status, "labels")
    if "network" in status or "namespace" in meta:  # PodSandboxStatus
        pod = PodKey(
            labels.get(NAMESPACE_LABEL) or meta.get("namespace"),
            labels.get(NAME_LABEL) or meta.get("name"),
            labels.get(UID_LABEL) or meta.get("uid"),
            status.get("id"),
        )
        sandbox = {
            "id": status.get("id"),
            "state": status.get("state") if status.get("state") in _SANDBOX_ENUM else None,
            "created_at": _time(status.get("createdAt")),
            "ip": _obj(status, "network").get("ip") or None,
            "runtime_handler": status.get("runtimeHandler") or None,
        }
        found.sandboxes.append((pod, _unset_dropped(sandbox)))
        return
    state = status.get("state") if status.get("state") in _CONTAINER_ENUM else None
    exited = state == "CONTAINER_EXITED"
    spec = _obj(info, "runtimeSpec")
    args = _obj(spec, "process").get("args")
    pid = info.get("pid")
    container = {
        "name": meta.get("name") or labels.get(CONTAINER_NAME_LABEL) or "unknown",
        "attempt": _int(meta.get("attempt")) or 0,
        "id": status.get("id"),
        "state": state,
        "exit_code": _int(status.get("exitCode")) if exited else None,
        "reason": status.get("reason") or None,
        "message": status.get("message") or None,
        "created_at": _time(status.get("createdAt")),
        "started_at": _time(status.get("startedAt")),
        "finished_at": _time(status.get("finishedAt")),
        "image": {
            "ref": _obj(status, "image").get("image") or None,
            "id": status.get("imageRef") or None,
        },
        "command": [str(a) for a in args] if isinstance(args, list) else None,
        "resources": spec_resources(spec),
        "pid": pid if isinstance(pid, int) and pid > 0 else None,
        "restart_count": _int_text(_obj(status, "annotations").get(_RESTARTS)),
    }
    pod = PodKey(
        labels.get(NAMESPACE_LABEL),
        labels.get(NAME_LABEL),
        labels.get(UID_LABEL),
        info.get("sandboxID") or None,
    )
    found.containers.append((pod, _unset_dropped(container)))


# dockershim named containers k8s_<container>_<pod>_<namespace>_<uid>_<attempt>
# (pkg/kubelet/dockershim/naming.go); a sandbox's container name is POD
_DOCKERSHIM_NAME = re.compile(r"/?k8s_(?P<container>[^_]+)_(?P<pod>[^_]+)_(?P<ns>[^_]+)_"
                              r"(?P<uid>[^_]+)_(?P<attempt>\d+)$")  # fmt: skip


def docker_inspect(document: Mapping[str, Any], found: Found) -> bool:
    """A dockershim container or sandbox; False for a container no pod owns."""
    config, state = _obj(document, "Config"), _obj(document, "State")
    labels = _obj(config, "Labels")
    named = _DOCKERSHIM_NAME.match(str(document.get("Name") or ""))
    pod = PodKey(
        labels.get(NAMESPACE_LABEL) or (named.group("ns") if named else None),
        labels.get(NAME_LABEL) or (named.group("pod") if named else None),
        labels.get(UID_LABEL) or (named.group("uid") if named else None),
        labels.get("io.kubernetes.sandbox.id"),
    )
    if pod.name is None:
        return False
    status = str(state.get("Status") or "").lower()
    if labels.get("io.kubernetes.docker.type") == "podsandbox" or (
        named and named.group("container") == "POD"
    ):
        sandbox = {
            "id": document.get("Id"),
            "state": "SANDBOX_READY" if status == "running" else "SANDBOX_NOTREADY",
            "created_at": _time(document.get("Created")),
        }
        found.sandboxes.append((PodKey(*_fields(pod)[:3], document.get("Id")), sandbox))
        return True
    exit_code = _int(state.get("ExitCode"))
    exited = _container_state(status) == "CONTAINER_EXITED"
    host = _obj(document, "HostConfig")
    attempt = labels.get(_RESTARTS) or (named.group("attempt") if named else None)
    container = {
        "name": labels.get(CONTAINER_NAME_LABEL) or (named.group("container") if named else None),
        "attempt": _int_text(str(attempt)) or 0,
        "id": document.get("Id"),
        "state": _container_state(status),
        "exit_code": exit_code if exited else None,
        # as dockershim told the kubelet (docker_container.go ContainerStatus)
        "reason": _dockershim_reason(state, exit_code) if exited else None,
        "message": state.get("Error") or None,
        "created_at": _time(document.get("Created")),
        "started_at": _time(state.get("StartedAt")),
        "finished_at": _time(state.get("FinishedAt")) if exited else None,
        "image": {"ref": config.get("Image") or None, "id": document.get("Image") or None},
        "command": [str(document["Path"]), *map(str, document.get("Args") or [])]
        if document.get("Path")
        else None,
        "resources": {
            "cpu_period": _int(host.get("CpuPeriod")) or None,
            "cpu_quota": _int(host.get("CpuQuota")) or None,
            "cpu_shares": _int(host.get("CpuShares")) or None,
            "memory_limit_bytes": _int(host.get("Memory")),
            "pids_limit": _int(host.get("PidsLimit")) or None,
            "oom_score_adj": _int(host.get("OomScoreAdj")),
        }
        if host
        else None,
        "pid": _int(state.get("Pid")) or None,
    }
    if container["name"] is None:
        return False
    found.containers.append((pod, _unset_dropped(container)))
    return True


def _dockershim_reason(state: Mapping[str, Any], exit_code: int | None) -> str:
    if state.get("OOMKilled"):
        return "OOMKilled"
    return "Completed" if exit_code == 0 else "Error"


_SANDBOX_ENUM = frozenset(_SANDBOX_STATES.values())
_CONTAINER_ENUM = frozenset(_CONTAINER_STATES.values())


def _container_state(text: str) -> str | None:
    return _CONTAINER_STATES.get(text.lower().removeprefix("container_"))


def _time(value: Any) -> str | None:
    """RFC 3339 as crictl and docker print it, or nanoseconds since the epoch (old crictl);
    Go's zero time is unset."""
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        nanoseconds = int(value)
        if nanoseconds <= 0:
            return None
        return datetime.fromtimestamp(nanoseconds / 1e9, UTC).isoformat().replace("+00:00", "Z")
    if not isinstance(value, str) or not value or value.startswith("0001-01-01"):
        return None
    return value


def _fields(pod: PodKey) -> tuple[str | None, str | None, str | None, str | None]:
    return pod.namespace, pod.name, pod.uid, pod.sandbox_id


def _obj(mapping: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = mapping.get(key)
    return value if isinstance(value, dict) else {}


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _int_text(value: Any) -> int | None:
    return int(value) if isinstance(value, str) and value.isdigit() else _int(value)


def _unset_dropped(facts: dict[str, Any]) -> dict[str, Any]:
    """Only what the text said: an unset field stays absent, so it does not hide what another
    source (describe, pod JSON) gives of the same container."""
    return {key: value for key, value in facts.items() if value is not None}
