"""Events pasted without their table: a `kubectl describe` Events block (or its rows) cut from
the rest of describe, and bare event messages -> events, each a pod's or the node's.

A row is `Type  Reason  Age  From  Message`, its cells two or more spaces (or a tab) apart, as
describe prints it. A bare message is one the kubelet records with a fixed reason
(pkg/kubelet/events/event.go): `Failed to create pod sandbox: ...` is FailedCreatePodSandBox,
`Failed to pull image ...` Failed, `Back-off pulling image ...` BackOff; the reason is that one.
Whose an event is: the node's when its reason is one the kubelet records about the node
(NodeReady, SystemOOM, EvictionThresholdMet...), else a pod's: the one its text names
(`Successfully assigned NS/NAME to NODE`, Rancher's `REASON <tab>Pod NAME` line), or, decided
by facts.py, `--pod`, the only pod of the facts, or none known.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

EVENTS_LINE = re.compile(r"\s*Events:\s*(?:<none>\s*)?$")
_HEADER = re.compile(r"\s*Type\s+Reason\s+Age\s+From\s+Message\s*$")
_DASHES = re.compile(r"\s*-{4}\s+-{6}\s+-{3,}\s+-{4}\s+-{7}\s*$")
_ROW = re.compile(r"\s*(?P<type>Normal|Warning)(?:\s{2,}|\s*\t\s*)(?P<rest>\S.*)")
_CELLS = re.compile(r"\s{2,}|\s*\t\s*")
# Rancher's UI prints the reason and the pod on a line of their own, the message below
_RANCHER_HEAD = re.compile(
    r"\s*(?P<reason>[A-Z][A-Za-z]+)\s*\tPod (?P<pod>[a-z0-9][a-z0-9.-]*)\s*$"
)
_COMBINED = "(combined from similar events): "
_COUNT = re.compile(r"\(x(\d+) over ")
_AGE_PART = re.compile(r"(\d+)([dhms])")
_AGE_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_ASSIGNED = re.compile(
    r"Successfully assigned (?P<ns>[a-z0-9-]+)/(?P<name>[a-z0-9][a-z0-9.-]*) to "
)

# The messages the kubelet records with a fixed reason: (message start, type, reason)
_MESSAGES = (
    ("Failed to create pod sandbox: ", "Warning", "FailedCreatePodSandBox"),
    ("Failed to pull image ", "Warning", "Failed"),
    ("Back-off pulling image ", "Normal", "BackOff"),
    ("Back-off restarting failed container", "Warning", "BackOff"),
    ("Error: ErrImagePull", "Warning", "Failed"),
    ("Error: ImagePullBackOff", "Warning", "Failed"),
    ("MountVolume.SetUp failed for volume ", "Warning", "FailedMount"),
)
# Reasons the kubelet (and the node controller) record about the node, not a pod
NODE_REASONS = frozenset(
    {
        "NodeReady", "NodeNotReady", "NodeHasSufficientMemory", "NodeHasInsufficientMemory",
        "NodeHasNoDiskPressure", "NodeHasDiskPressure", "NodeHasSufficientPID",
        "NodeHasInsufficientPID", "NodeAllocatableEnforced", "NodeSchedulable",
        "NodeNotSchedulable", "SystemOOM", "EvictionThresholdMet", "Rebooted", "Starting",
        "InvalidDiskCapacity", "ImageGCFailed", "ContainerGCFailed", "FreeDiskSpaceFailed",
        "KubeletSetupFailed", "RegisteredNode", "RemovingNode", "DeletingNode",
        "CIDRNotAvailable", "NodeHasNetworkUnavailable",
    }
)  # fmt: skip
# `Node NAME status is now: NodeHasDiskPressure`: the condition the kubelet has just set
_CONDITION_EVENTS = {
    "NodeReady": ("Ready", "True"),
    "NodeNotReady": ("Ready", "False"),
    "NodeHasDiskPressure": ("DiskPressure", "True"),
    "NodeHasNoDiskPressure": ("DiskPressure", "False"),
    "NodeHasInsufficientMemory": ("MemoryPressure", "True"),
    "NodeHasSufficientMemory": ("MemoryPressure", "False"),
    "NodeHasInsufficientPID": ("PIDPressure", "True"),
    "NodeHasSufficientPID": ("PIDPressure", "False"),
}
_STATUS_NOW = re.compile(r"status is now: (?P<reason>\w+)")


@dataclass
class PastedEvent:
    event: dict[str, Any]  # as the facts keep one
    age: float | None  # seconds since it was last seen, as describe printed it
    pod: tuple[str | None, str] | None = None  # (namespace or None, name) when the text says


@dataclass
class Read:
    """Events read from a segment, and the lines of it that are none."""

    events: list[PastedEvent] = field(default_factory=list)
    unread: list[int] = field(default_factory=list)  # indices into the segment's lines


def message_reason(text: str) -> tuple[str, str] | None:
    """(type, reason) of a bare event message the kubelet records with a fixed reason."""
    text = text.strip().removeprefix(_COMBINED)
    for start, kind, reason in _MESSAGES:
        if text.startswith(start):
            return kind, reason
    return None


def event_line(line: str) -> bool:
    """A line of an events block: `Events:`, its header or dashes, a row, or a bare message."""
    return bool(
        EVENTS_LINE.match(line)
        or _HEADER.match(line)
        or _DASHES.match(line)
        or _RANCHER_HEAD.match(line)
        or _row(line) is not None
        or message_reason(line) is not None
    )


def starts_with_event(lines: Sequence[str]) -> bool:
    """Whether a segment holds events: a row, the block's header, or a bare message."""
    return any(event_line(line) and not EVENTS_LINE.match(line) for line in lines)


def read(lines: Sequence[str]) -> Read:
    """The events of a segment's lines (wrapped ones joined again)."""
    found = Read()
    named: tuple[str | None, str] | None = None
    pending: tuple[str, tuple[str | None, str]] | None = None  # a Rancher head line's
    for index, line in enumerate(lines):
        if EVENTS_LINE.match(line) or _HEADER.match(line) or _DASHES.match(line):
            continue
        head = _RANCHER_HEAD.match(line)
        if head:
            pending = (head.group("reason"), (None, head.group("pod")))
            continue
        row = _row(line)
        if row is not None:
            found.events.append(row)
        else:
            bare = message_reason(line)
            if bare is None:
                found.unread.append(index)
                continue
            kind, reason = bare
            event = PastedEvent({"type": kind, "reason": reason, "message": line.strip()}, None)
            if pending is not None:
                event.event["reason"], event.pod = pending
            found.events.append(event)
        pending = None
        assigned = _ASSIGNED.search(found.events[-1].event["message"])
        if assigned:
            named = (assigned.group("ns"), assigned.group("name"))
    for pasted in found.events:
        if pasted.pod is None and pasted.event["reason"] not in NODE_REASONS:
            pasted.pod = named
    return found


def _row(line: str) -> PastedEvent | None:
    match = _ROW.match(line)
    if not match:
        return None
    cells = _CELLS.split(match.group("rest").strip(), maxsplit=3)
    if len(cells) != 4 or not re.fullmatch(r"[A-Z]\w+", cells[0]):
        return None
    reason, age, source, message = cells
    count = _COUNT.search(age)
    event = {
        "type": match.group("type"),
        "reason": reason,
        "message": message,
        "count": int(count.group(1)) if count else None,
        "source": source.split(",")[0].strip() or None,
        "last_seen": None,  # describe prints ages, not times
    }
    return PastedEvent(event, _age_seconds(age))


def _age_seconds(age: str) -> float | None:
    """`8m31s`, `25m (x3 over 46m)`, `5d1h` -> seconds since last seen; None for `<unknown>`."""
    head = age.split("(", 1)[0].strip()
    parts = _AGE_PART.findall(head)
    if not parts or "".join(n + u for n, u in parts) != head:
        return None
    return float(sum(int(n) * _AGE_SECONDS[u] for n, u in parts))


def node_conditions(events: Sequence[PastedEvent]) -> list[dict[str, Any]]:
    """The node's conditions as its newest `status is now:` events set them: the youngest age,
    and of events of one age the later row (describe lists events oldest first)."""
    newest: dict[str, tuple[float, int, str]] = {}
    for order, pasted in enumerate(events):
        said = _STATUS_NOW.search(pasted.event["message"])
        reason = said.group("reason") if said else pasted.event["reason"]
        if reason not in _CONDITION_EVENTS:
            continue
        condition, status = _CONDITION_EVENTS[reason]
        age = pasted.age if pasted.age is not None else float("inf")
        known = newest.get(condition)
        if known is None or (age, -order) <= (known[0], -known[1]):
            newest[condition] = (age, order, status)
    return [
        {"type": condition, "status": status, "reason": None, "message": None}
        for condition, (_, _, status) in newest.items()
    ]


# -- lines wrapped by the user's terminal or editor ---------------------------------------------

WRAP_MIN = 60  # a line cut shorter than this was ended by its writer, not wrapped
_MID_WORD_MIN = 150  # wraps at a terminal's width; narrower ones are an editor's, at a space


def join_wrapped(before: str, line: str) -> str:
    """`before` continued by `line`: without a space when the cut fell inside a word (a
    terminal wraps at its width, `...for s` + `andbox "55db..."`), else with one (an editor
    wraps at a space, and drops it)."""
    text = line.strip()
    inside_word = (
        len(before) >= _MID_WORD_MIN and before[-1:].isalnum() and text[:1].isalnum()
    ) and not text[:1].isupper()
    return before + ("" if inside_word else " ") + text
