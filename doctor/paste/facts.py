"""What a paste holds, into a facts document: on top of a bundle's or kubectl output's, or alone.

Each layer the paste gives facts of is examined (`ok`); the others keep what they had (`absent`
with NO_PASTE_DATA when the paste is all there is). Log lines are selected as the live
gatherers select them (gather/logs/selection.py: the node-level lines that matter, each pod's
own lines; node.KERNEL_TROUBLE for the kernel's), so a rule sees a pasted journal as it would
see the node's.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from doctor import __version__
from doctor.apiserver.facts import NO_NODE_DATA
from doctor.facts.document import SCHEMA_VERSION, PodRef
from doctor.gather.logs.daemons import Writer
from doctor.gather.logs.formats import LogLine
from doctor.gather.logs.selection import (
    NODE_LINES_MAX,
    POD_LINES_MAX,
    assign_pod_lines,
    node_lines,
)
from doctor.gather.logs.sources import RawLog
from doctor.gather.node import KERNEL_LOG_LINES
from doctor.layers import LAYER_NAMES
from doctor.paste import disks
from doctor.paste.events import PastedEvent
from doctor.paste.logs import kernel_lines, parse_daemon_entry
from doctor.paste.place import ContainerLog, Pasted

NO_PASTE_DATA = "no node data: not in the pasted text (nor kubectl output)"
LOG_TAIL_MAX = 1000  # the schema's maxItems of a container's log_tail
UNKNOWN = "unknown"
_LAYER_LOG = {Writer.KUBELET: ("kubelet", "log"), Writer.RUNTIME: ("containerd", "log")}
_POD_LOG = {Writer.KUBELET: "kubelet_log", Writer.RUNTIME: "containerd_log"}


def paste_only_document(host: str | None) -> dict[str, Any]:
    """The document a paste with no kubectl output and no bundle starts from."""
    return {
        "schema": SCHEMA_VERSION,
        "collected": {
            "at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "host": host or "unknown-node",
            "stackdoctor": __version__,
            "source": "paste",
        },
        "layers": {
            name: {"status": "absent", "errors": [{"source": "paste", "message": NO_PASTE_DATA}]}
            for name in LAYER_NAMES
        },
        "pods": [],
    }


def apply_paste(
    document: dict[str, Any], pasted: Pasted, pod: PodRef | None, reference: datetime
) -> list[str]:
    """Fill `document` (in place) from the paste; the notes of what could not be placed."""
    notes: list[str] = []
    about = _user_pod(document["pods"], pod)
    for section in document["layers"].values():
        for error in section.get("errors") or []:
            if section.get("status") != "ok" and error.get("message") == NO_NODE_DATA:
                error.update(source="paste", message=NO_PASTE_DATA)
    for log in pasted.container_logs:
        note = _place_container_log(document, log, pod)
        if note:
            notes.append(note)
    if pasted.events:
        notes.extend(_place_events(document, pasted.events, about))
    for writer, (layer, key) in _LAYER_LOG.items():
        found = pasted.logs.entries[writer]
        if found:
            raw = RawLog(found, lambda entry: parse_daemon_entry(entry, reference))
            _examined(document, layer)
            section = document["layers"][layer]
            section[key] = _merged(section.get(key), node_lines(raw), NODE_LINES_MAX)
            _assign(document["pods"], raw, _POD_LOG[writer])
            if about is not None:
                _credit(about, raw, _POD_LOG[writer])
    kernel = pasted.logs.entries[Writer.KERNEL]
    if kernel:
        _examined(document, "node")
        node = document["layers"]["node"]
        lines = kernel_lines(kernel, reference, KERNEL_LOG_LINES)
        node["kernel_log"] = _merged(node.get("kernel_log"), lines, KERNEL_LOG_LINES)
    if pasted.df_tables:
        found_disks = disks.disks(pasted.df_tables)
        if found_disks:
            _examined(document, "node")
            node = document["layers"]["node"]
            pasted_paths = {d["path"] for d in found_disks}
            kept = [d for d in node.get("disks") or [] if d["path"] not in pasted_paths]
            node["disks"] = kept + found_disks
        else:
            notes.append("df output: no filesystem holding the stack's directories")
    return notes


def _user_pod(pods: list[dict[str, Any]], pod: PodRef | None) -> dict[str, Any] | None:
    """The pod the user said the paste is about (`--pod`): the one in the facts, or made
    (with no containers yet) so the paste's evidence has a subject."""
    if pod is None:
        return None
    for known in pods:
        if known["name"] == pod.name and known["namespace"] == pod.namespace:
            return known
    made: dict[str, Any] = {"name": pod.name, "namespace": pod.namespace, "containers": []}
    pods.append(made)
    return made


# a klog/logrus line about a pod names it: pod="ns/name", pods=["ns/name"], pod ns/name
_NAMES_A_POD = re.compile(r'\bpods?=\\?\[?\\?"(?P<ref>[^"\\]+)|\bpod "(?P<quoted>[^"]+)"')


def _credit(about: dict[str, Any], raw: RawLog, field: str) -> None:
    """The user said whose the paste is: its lines that name no other pod are this pod's too
    (docs/diagnosis.md, evidence and its subject), after the lines that name it."""
    own = f"{about['namespace']}/{about['name']}"
    credited = []
    for line in raw.lines():
        text = line.get("raw") or line.get("message") or ""
        named = {m.group("ref") or m.group("quoted") for m in _NAMES_A_POD.finditer(text)}
        if not named or any(own in ref or about["name"] in ref for ref in named):
            credited.append(line)
    about[field] = _merged(about.get(field), credited, POD_LINES_MAX)


def _place_events(
    document: dict[str, Any], found: list[PastedEvent], about: dict[str, Any] | None
) -> list[str]:
    """Each pasted event to its pod: the one its row names, else the pod the paste is about
    (`--pod`, or the only pod), else pod default/unknown (said, as for a container's log)."""
    pods: list[dict[str, Any]] = document["pods"]
    notes: list[str] = []
    for pasted in found:
        target = about
        if pasted.pod is not None:
            target = next((p for p in pods if p["name"] == pasted.pod), None)
            if target is None:
                target = {"name": pasted.pod, "namespace": "default", "containers": []}
                pods.append(target)
        elif target is None and len(pods) == 1:
            target = pods[0]
        elif target is None and pods:
            notes.append(
                f"pasted events without their pod, and {len(pods)} pods are in the facts:"
                " give --pod"
            )
            continue
        elif target is None:
            target = {"name": UNKNOWN, "namespace": "default", "containers": []}
            pods.append(target)
            notes.append(
                f"pasted events with no pod named: read as pod default/{UNKNOWN}"
                " (give --pod NAMESPACE/NAME)"
            )
        had = target.setdefault("events", [])
        if pasted.event not in had:
            had.append(pasted.event)
        _examined(document, "apiserver")
    return list(dict.fromkeys(notes))


def _examined(document: dict[str, Any], layer: str) -> None:
    """The layer has facts now: `ok`, without the "no data" notes of a document made without
    node data."""
    section = document["layers"][layer]
    if section.get("status") != "ok":
        errors = section.get("errors") or []
        section["status"] = "ok"
        section["errors"] = [
            e for e in errors if e.get("message") not in (NO_NODE_DATA, NO_PASTE_DATA)
        ]


def _merged(before: list[LogLine] | None, pasted: list[LogLine], keep: int) -> list[LogLine]:
    """The lines a document had, then the pasted ones it lacked; the newest `keep`."""
    seen = {line.get("raw") or line["message"] for line in before or []}
    added = [line for line in pasted if (line.get("raw") or line["message"]) not in seen]
    return [*(before or []), *added][-keep:]


def _assign(pods: list[dict[str, Any]], raw: RawLog, field: str) -> None:
    """Each pod's own lines (selection.assign_pod_lines), added to those it had."""
    if not pods:
        return
    had = {id(pod): pod.get(field) for pod in pods}
    assign_pod_lines(pods, raw, field)
    for pod in pods:
        before = had[id(pod)]
        if before:
            pod[field] = _merged(before, pod[field], len(before) + len(pod[field]))


def _place_container_log(
    document: dict[str, Any], log: ContainerLog, pod: PodRef | None
) -> str | None:
    """Put a container's output in its attempt's log_tail (the process layer); a note when
    whose it is cannot be told."""
    pods: list[dict[str, Any]] = document["pods"]
    command = log.command
    name = command.pod or (pod.name if pod else None)
    target: dict[str, Any] | None = None
    note = None
    if name is not None:
        namespace = command.namespace or (pod.namespace if pod and pod.name == name else None)
        target = next(
            (p for p in pods if p["name"] == name and namespace in (None, p["namespace"])), None
        )
        if target is None:
            target = {"name": name, "namespace": namespace or "default", "containers": []}
            pods.append(target)
    elif len(pods) == 1:
        target = pods[0]
    elif pods:
        return (
            f"{log.where}: a container's log, but whose? {len(pods)} pods are in the facts:"
            " give --pod, or paste the `kubectl logs POD -c NAME` line before it"
        )
    else:
        target = {"name": UNKNOWN, "namespace": "default", "containers": []}
        pods.append(target)
        note = (
            f"{log.where}: a container's log with no pod named: read as pod default/{UNKNOWN}"
            " (give --pod NAMESPACE/NAME)"
        )
    container = _container(target, command.container, command.previous)
    if container is None:
        names = sorted({c["name"] for c in target["containers"]})
        return (
            f"{log.where}: a container's log, but pod {target['namespace']}/{target['name']} has"
            f" containers {', '.join(names)}: paste the `kubectl logs POD -c NAME` line before it"
        )
    container["log_tail"] = list(log.lines[-LOG_TAIL_MAX:])
    _examined(document, "process")
    return note


def _container(pod: dict[str, Any], name: str | None, previous: bool) -> dict[str, Any] | None:
    """The attempt whose output `kubectl logs` shows: the newest that ran (a container waiting
    in back-off shows its last run's), or with --previous the one before it."""
    containers: list[dict[str, Any]] = pod["containers"]
    names = {c["name"] for c in containers}
    if name is None:
        if len(names) > 1:
            return None
        name = next(iter(names), UNKNOWN)
    attempts = sorted(
        (c for c in containers if c["name"] == name), key=lambda c: c["attempt"], reverse=True
    )
    ran = [c for c in attempts if c.get("state") != "CONTAINER_WAITING"]
    # --previous: the run before the current one; a waiting attempt has not run, so the last
    # run is already the previous one
    waiting = bool(attempts) and attempts[0].get("state") == "CONTAINER_WAITING"
    skip = 1 if previous and not waiting and len(ran) > 1 else 0
    chosen = ran[skip] if ran else attempts[0] if attempts else None
    if chosen is None:
        chosen = {"name": name, "attempt": 0}
        containers.append(chosen)
    return chosen
