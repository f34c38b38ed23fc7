"""Build timelines from the facts: one per pod, one for the node (schema: `timeline` in
doctor/facts/schema.json, prose in docs/facts.md).

Every fact that carries a time is an entry: API events (first and last seen), the pod's kubelet
and containerd log lines, the kernel's lines that name the pod, the CRI's created/started/
finished times of the sandbox and every container attempt, a cgroup's OOM-kill counter, and the
moment of collection. An entry's id is the path of the fact that carries its time (relative to
the pod, or `$.` for the document's own), so it is stable and leads back to the fact.

Linear in the facts: each list is walked once, the kernel log indexed once per document.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from doctor.timeline.moments import MICROS, has_zone, instant, rfc3339

# Each source, the layer it belongs to (None: every layer), in the order entries of one instant
# keep.
SOURCE_LAYERS: Mapping[str, str | None] = {
    "event": "apiserver",
    "kubelet-log": "kubelet",
    "cri": "cri",
    "containerd-log": "containerd",
    "cgroup": "process",
    "kernel-log": "node",
    "collection": None,
}
WHAT_LENGTH = 240  # one line: an entry says what happened, the fact it points at says all
# Logs are read while collection runs: an entry this long after its end is ahead of the clock.
CLOCK_SLACK_SECONDS = 2.0

NO_ZONE = "no year or zone in the line: the year inferred, the time read as UTC"
IN_NODE_ZONE = "no year or zone in the line: the year inferred, the node's zone taken"
KMSG = (
    "kmsg: time since boot plus the boot time (/proc/stat btime: whole seconds, so up to 1 s early)"
)
DMESG = "no zone in the line (the node's local time): read as UTC"
DMESG_IN_NODE_ZONE = "no zone in the line (the node's local time): the node's zone taken"
COUNTER = "a counter read once, at collection: the kills it counts came before"
ROSE = "a counter that rose between two reads: the kill came after the first, before the second"

_UID = re.compile(r"pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})")
_CONTAINER_ID = re.compile(r"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])")
_KMSG_PREFIX = re.compile(r"\d+,\d+,\d+,")

Entry = dict[str, Any]


class _Entries:
    """Entries as they are found, then ordered: by instant, then by the order found.

    A time without a zone is the node's local time: placed with the node's offset when the
    facts know it (`collected.utc_offset_seconds`), else read as UTC; its note says which.
    """

    def __init__(self, document: Mapping[str, Any]) -> None:
        self._pending: list[tuple[int, int, Entry]] = []
        offset = _dict(document.get("collected")).get("utc_offset_seconds")
        self.zone_known = isinstance(offset, int) and not isinstance(offset, bool)
        self._offset: int = offset if isinstance(offset, int) else 0

    def add(self, at: object, ident: str, source: str, what: str, note: str | None = None) -> None:
        if not isinstance(at, str) or not at:
            return
        moment = instant(at, self._offset)
        if moment is None:
            return
        entry: Entry = {
            "id": ident,
            "time": rfc3339(at, self._offset),
            "layer": SOURCE_LAYERS[source],
            "source": source,
            "what": _one_line(what),
        }
        if note:
            entry["note"] = note
        self._pending.append((moment, len(self._pending), entry))

    def timeline(self, collected: Mapping[str, Any]) -> dict[str, Any]:
        self._pending.sort(key=lambda item: (item[0], item[1]))
        return {
            "entries": [entry for _, _, entry in self._pending],
            "clock_off": _clock_off(self._pending, collected),
        }


def with_timeline(document: Mapping[str, Any]) -> dict[str, Any]:
    """The document with its `timeline` (re)built from its other facts."""
    return {**document, "timeline": all_timelines(document)}


def all_timelines(document: Mapping[str, Any]) -> dict[str, Any]:
    kernel = KernelIndex(_node_section(document).get("kernel_log"))
    pods = [pod_timeline(document, pod, kernel) for pod in _list(document.get("pods"))]
    return {"node": node_timeline(document), "pods": pods}


def timeline_for(document: Mapping[str, Any], pod: Mapping[str, Any] | None) -> dict[str, Any]:
    """The node's timeline (pod None) or the pod's: the document's own, else built now."""
    stored = document.get("timeline")
    if isinstance(stored, dict):
        if pod is None:
            return dict(stored["node"])
        for one in stored["pods"]:
            if (one["namespace"], one["name"]) == (pod.get("namespace"), pod.get("name")):
                return dict(one)
    if pod is None:
        return node_timeline(document)
    return pod_timeline(document, pod, KernelIndex(_node_section(document).get("kernel_log")))


def node_timeline(document: Mapping[str, Any]) -> dict[str, Any]:
    """The node's own logs and the moment of collection."""
    entries = _Entries(document)
    layers = _dict(document.get("layers"))
    for field, source in (("kubelet", "kubelet-log"), ("containerd", "containerd-log")):
        _log(entries, _dict(layers.get(field)).get("log"), f"$.layers.{field}.log", source)
    kernel = _list(_node_section(document).get("kernel_log"))
    for index, line in enumerate(kernel):
        _kernel_line(entries, index, line)
    _collection(entries, document)
    return entries.timeline(_dict(document.get("collected")))


def pod_timeline(
    document: Mapping[str, Any], pod: Mapping[str, Any], kernel: KernelIndex
) -> dict[str, Any]:
    """One pod across every layer: its events, log lines, sandbox and container attempts, the
    kernel's lines that name it, and the moment of collection."""
    entries = _Entries(document)
    _events(entries, pod.get("events"))
    _log(entries, pod.get("kubelet_log"), "kubelet_log", "kubelet-log")
    _log(entries, pod.get("containerd_log"), "containerd_log", "containerd-log")
    sandbox = _dict(pod.get("sandbox"))
    if sandbox:
        state = f" ({sandbox['state']})" if sandbox.get("state") else ""
        what = f"sandbox {str(sandbox.get('id') or '')[:13]} created{state}"
        entries.add(sandbox.get("created_at"), "sandbox.created_at", "cri", what)
    collected = _dict(document.get("collected"))
    for index, container in enumerate(_list(pod.get("containers"))):
        _attempt(entries, index, container, collected.get("at"))
    kernel_log = _list(_node_section(document).get("kernel_log"))
    for line_index in kernel.lines_naming(_terms(pod)):
        _kernel_line(entries, line_index, kernel_log[line_index])
    _collection(entries, document)
    timeline = entries.timeline(collected)
    return {"namespace": pod.get("namespace"), "name": pod.get("name"), **timeline}


class KernelIndex:
    """Which kernel log lines name which pod uid or container id, read once per document."""

    def __init__(self, lines: object) -> None:
        self._by_term: dict[str, list[int]] = {}
        for index, line in enumerate(_list(lines)):
            message = _dict(line).get("message")
            if not isinstance(message, str) or ("pod" not in message and len(message) < 64):
                continue
            terms = {m.group(1).replace("_", "-") for m in _UID.finditer(message)}
            terms.update(_CONTAINER_ID.findall(message))
            for term in terms:
                self._by_term.setdefault(term, []).append(index)

    def lines_naming(self, terms: Iterable[str]) -> list[int]:
        found: set[int] = set()
        for term in terms:
            found.update(self._by_term.get(term, ()))
        return sorted(found)


def _terms(pod: Mapping[str, Any]) -> list[str]:
    terms = [pod.get("uid"), _dict(pod.get("sandbox")).get("id")]
    terms += [_dict(c).get("id") for c in _list(pod.get("containers"))]
    return [term for term in terms if isinstance(term, str) and term]


def _events(entries: _Entries, events: object) -> None:
    for index, event in enumerate(_list(events)):
        event = _dict(event)
        kind = f"{event['type']} " if event.get("type") else ""
        count = event.get("count")
        text = f"{kind}{event.get('reason', '')}"
        message = f": {event['message']}" if event.get("message") else ""
        first, last = event.get("first_seen"), event.get("last_seen")
        if first and first != last:
            many = f" (first of {count})" if isinstance(count, int) and count > 1 else " (first)"
            entries.add(first, f"events[{index}].first_seen", "event", text + many + message)
        many = f" (x{count})" if isinstance(count, int) and count > 1 else ""
        entries.add(last, f"events[{index}].last_seen", "event", text + many + message)


def _log(entries: _Entries, lines: object, path: str, source: str) -> None:
    for index, line in enumerate(_list(lines)):
        line = _dict(line)
        at = line.get("time")
        if not isinstance(at, str):
            continue
        severity = f"{line['severity']} " if line.get("severity") else ""
        note = None if has_zone(at) else IN_NODE_ZONE if entries.zone_known else NO_ZONE
        what = severity + str(line.get("message", ""))
        entries.add(at, f"{path}[{index}].time", source, what, note)


def _kernel_line(entries: _Entries, index: int, line: object) -> None:
    line = _dict(line)
    at = line.get("time")
    if not isinstance(at, str):
        return
    if not has_zone(at):
        note: str | None = DMESG_IN_NODE_ZONE if entries.zone_known else DMESG
    elif _KMSG_PREFIX.match(str(line.get("raw") or "")):
        note = KMSG
    else:
        note = None
    ident = f"$.layers.node.kernel_log[{index}].time"
    entries.add(at, ident, "kernel-log", str(line.get("message", "")), note)


def _attempt(entries: _Entries, index: int, container: object, collected_at: object) -> None:
    container = _dict(container)
    name = f"{container.get('name')} attempt {container.get('attempt')}"
    path = f"containers[{index}]"
    entries.add(container.get("created_at"), f"{path}.created_at", "cri", f"{name} created")
    entries.add(container.get("started_at"), f"{path}.started_at", "cri", f"{name} started")
    ended = [f"exit {container['exit_code']}"] if container.get("exit_code") is not None else []
    if container.get("signal"):
        ended.append(f"signal {container['signal']}")
    if container.get("reason"):
        ended.append(str(container["reason"]))
    how = f": {', '.join(ended)}" if ended else ""
    entries.add(container.get("finished_at"), f"{path}.finished_at", "cri", f"{name} finished{how}")
    memory = _dict(_dict(container.get("cgroup")).get("memory"))
    kills = memory.get("oom_kill_events")
    samples = [s for s in memory.get("oom_kill_samples") or [] if isinstance(s, dict)]
    rose = len(samples) == 2 and _count(samples[1]) > _count(samples[0])
    if rose:  # a kill between the two reads: its time is known to the sample window
        before, after = samples
        what = (
            f"{name}: the cgroup's oom_kill counter rose from {_count(before)} to {_count(after)}"
        )
        ident = f"{path}.cgroup.memory.oom_kill_samples[1]"
        note = f"{ROSE} (read at {before.get('at')} and {after.get('at')})"
        entries.add(after.get("at"), ident, "cgroup", what, note)
    elif isinstance(kills, int) and kills > 0:
        what = f"{name}: the cgroup's oom_kill counter is {kills}"
        ident = f"{path}.cgroup.memory.oom_kill_events"
        entries.add(memory.get("read_at") or collected_at, ident, "cgroup", what, COUNTER)


def _count(sample: Mapping[str, Any]) -> int:
    value = sample.get("oom_kill_events")
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _collection(entries: _Entries, document: Mapping[str, Any]) -> None:
    collected = _dict(document.get("collected"))
    source = collected.get("source")
    took = collected.get("duration_seconds")
    detail = ", ".join(
        part
        for part in (str(source) if source else "", f"took {took} s" if took is not None else "")
        if part
    )
    what = f"facts collected ({detail})" if detail else "facts collected"
    entries.add(collected.get("at"), "$.collected.at", "collection", what)


def _clock_off(pending: list[tuple[int, int, Entry]], collected: Mapping[str, Any]) -> list[Any]:
    """The sources with entries after the collection ended: their clocks are off (or a
    zoneless time was local time ahead of UTC)."""
    at = collected.get("at")
    start = instant(at) if isinstance(at, str) else None
    if start is None:
        return []
    took = collected.get("duration_seconds")
    took = took if isinstance(took, int | float) else 0.0
    end = start + int((took + CLOCK_SLACK_SECONDS) * MICROS)
    ahead: dict[str, list[int]] = {}
    for moment, _, entry in pending:
        if moment > end and entry["source"] != "collection":
            ahead.setdefault(entry["source"], []).append(moment)
    return [
        {
            "source": source,
            "entries": len(moments),
            "ahead_seconds": round((max(moments) - start) / MICROS, 3),
        }
        for source, moments in ahead.items()
    ]


def _node_section(document: Mapping[str, Any]) -> Mapping[str, Any]:
    return _dict(_dict(document.get("layers")).get("node"))


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= WHAT_LENGTH else line[: WHAT_LENGTH - 1] + "…"
