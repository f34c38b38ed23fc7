"""Events pasted without their table -> events, each a pod's or the node's: the rows of a
describe Events section cut from the rest (single-spaced when re-typed, or without the Type
column), a `kubectl get events` row without its header, the reason-first layout of kubectl
before 1.10, the Cloud Console's export, a reason on its line and the message below (a web
console's copy, Rancher's `REASON <tab>Pod NAME`), an event another program logged as logfmt
fields (`kind=Pod name=NAME note="..." reason=Failed`), and the kubelet's event messages alone.

A row is told by its reason (one the kubelet, the scheduler or the node controller records,
pkg/kubelet/events/event.go), or by its type when it starts with one; a bare message by a text
only the kubelet's events carry, recorded with a fixed reason (`Failed to create pod sandbox:
...` is FailedCreatePodSandBox). Anything else is left to the other readers.
Whose an event is: the node's when its reason is one recorded about the node (NodeReady,
SystemOOM...; its `status is now:` events give the node's conditions), else a pod's: the one
its row names (`pod/NAME`), the one the text names (`Successfully assigned NS/NAME to NODE`,
Rancher's head line), or, decided by facts.py, the pod the paste is about.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

# pkg/kubelet/events/event.go (v1.36.3 and the older names it kept), and the scheduler's
REASONS = frozenset(
    {
        "Created", "Started", "Failed", "Killing", "Preempting", "BackOff", "ExceededGracePeriod",
        "Pulling", "Pulled", "ErrImageNeverPull", "InspectFailed", "FailedMount",
        "FailedAttachVolume", "FailedMapVolume", "FailedSync", "FailedValidation",
        "FailedPostStartHook", "FailedPreStopHook", "Unhealthy", "ProbeWarning",
        "SandboxChanged", "FailedCreatePodSandBox", "FailedPodSandBoxStatus",
        "FailedKillPod", "FailedCreatePodContainer", "NetworkNotReady", "Evicted",
        "Scheduled", "FailedScheduling", "SuccessfulMountVolume", "SuccessfulAttachVolume",
    }
)  # fmt: skip
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
_KNOWN = REASONS | NODE_REASONS

_COUNT = r"(?: \(x(?P<count>\d+) over \S+\))?"
_SOURCE = r"(?P<source>[\w.-]+(?:, [\w.-]+)?)"
_TYPED = re.compile(
    # describe: Type Reason Age From Message (columns 2+ spaces apart, or 1 when re-typed);
    # the type says it is a row, whatever its reason
    r"(?P<type>Normal|Warning)\s+(?P<reason>[A-Z]\w+)\s+(?P<age>\S+)" + _COUNT
    + r"\s+" + _SOURCE + r"\s+(?P<message>\S.*)"
)  # fmt: skip
_LAYOUTS = (
    # describe without its Type column (a user's selection starting at Reason)
    re.compile(
        r"(?P<reason>[A-Z]\w+)\s+(?P<age>\d+[smhd]\w*)" + _COUNT + r"\s+" + _SOURCE
        + r"\s{2,}(?P<message>\S.*)"
    ),
    # kubectl get events without its header: LAST SEEN TYPE REASON OBJECT MESSAGE
    re.compile(
        r"(?P<age>\d+[smhd]\w*|<unknown>)\s+(?P<type>Normal|Warning)\s+(?P<reason>[A-Z]\w+)\s+"
        r"(?:pod|Pod)/(?P<pod>\S+)\s+(?P<message>\S.*)"
    ),
    # reason, then the message (kubectl describe before 1.10 as users copied it)
    re.compile(r"(?P<reason>[A-Z]\w+)\s{2,}(?P<message>\S.*)"),
)  # fmt: skip
# The Cloud Console's export: time, message, a one-letter type
_STAMPED = re.compile(r"\d{4}-\d\d-\d\dT[\d:.]+Z (?P<message>\S.*?) (?P<letter>[IW])\s*")
# Messages only the kubelet's events carry (pkg/kubelet/volumemanager, kuberuntime, images,
# eviction), alone or as a pod's status `Message:`; the reason and type they are recorded with
MESSAGES = (
    (re.compile(r"MountVolume\.\w+ failed for volume|[Uu]nable to (?:attach or )?mount volumes"
                r" for pod|hostPath type check failed"), "FailedMount", "Warning"),
    (re.compile(r"Failed to create pod sandbox: "), "FailedCreatePodSandBox", "Warning"),
    (re.compile(r"Failed to pull image "), "Failed", "Warning"),
    (re.compile(r"Back-off pulling image "), "BackOff", "Normal"),
    (re.compile(r"Back-off restarting failed container"), "BackOff", "Warning"),
    (re.compile(r"Error: "), "Failed", "Warning"),
    (re.compile(r"The node was low on resource: |The node had condition: "), "Evicted",
     "Warning"),
)  # fmt: skip
_COMBINED = "(combined from similar events): "
_MESSAGE_FIELD = re.compile(r"[Mm]essage:\s+'?")
# Lines of a describe Events section that carry no event
_FRAME = re.compile(r"Events:\s*(?:<none>\s*)?|Type\s+Reason\s+Age\s+From\s+Message\s*|[-\s]+")
# A reason alone on its line, the message on the next; Rancher's UI adds the pod after a tab
_HEAD = re.compile(r"(?P<reason>[A-Z]\w+)(?:\s*\tPod (?P<pod>[a-z0-9][a-z0-9.-]*))?\s*")
_ASSIGNED = re.compile(
    r"Successfully assigned (?P<ns>[a-z0-9-]+)/(?P<name>[a-z0-9][a-z0-9.-]*) to "
)
# An event another program logged as logfmt fields (kubeshark's zerolog: `kind=Pod
# name=NAME note="MESSAGE" ... reason=REASON`; `note` is events.k8s.io/v1's name for the
# message): its fields wherever they stand in the line
_LOGGED_KIND = re.compile(r"\bkind=(?:Pod|\\?\"Pod\\?\")(?:\s|$)")
_LOGGED_FIELDS = {
    "name": re.compile(r"\bname=(?P<value>[a-z0-9][a-z0-9.-]*)\b"),
    "namespace": re.compile(r"\bnamespace=(?P<value>[a-z0-9][a-z0-9-]*)\b"),
    "message": re.compile(r'\b(?:note|message)="(?P<value>(?:[^"\\]|\\.)*)"'),
    "reason": re.compile(r"\breason=(?P<value>[A-Z]\w+)\b"),
    "type": re.compile(r"\btype=(?P<value>Normal|Warning)\b"),
}
_AGE_PART = re.compile(r"(\d+)([dhms])")
_AGE_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


@dataclass(frozen=True)
class PastedEvent:
    pod: str | None  # the pod the text names, else None: the paste's pod
    event: dict[str, Any]  # as the facts keep one
    namespace: str | None = None  # the named pod's, when the text says
    age: float | None = None  # seconds since it was last seen, as describe printed it


@dataclass
class Read:
    """Events read from a segment's lines, and the lines of it that are none."""

    events: list[PastedEvent] = field(default_factory=list)
    unread: list[int] = field(default_factory=list)  # indices into the lines


def frame(line: str) -> bool:
    """A line of a describe Events section that holds no event (its title, header, rule)."""
    return bool(_FRAME.fullmatch(line.strip()))


def event_line(line: str) -> bool:
    """A line of pasted events: a row, a message, a head line or the section's frame."""
    text = line.strip()
    return bool(text) and (frame(text) or _head(text) is not None or event_of(text) is not None)


def event_of(line: str) -> PastedEvent | None:
    """The event a pasted line is, or None."""
    text = line.strip()
    typed = _TYPED.fullmatch(text)
    rows = (layout.fullmatch(text) for layout in _LAYOUTS)
    row = typed or next((r for r in rows if r and r["reason"] in _KNOWN), None)
    if row is not None:
        fields = row.groupdict()
        event = _event(fields["reason"], fields["message"], fields.get("type"), fields)
        return PastedEvent(fields.get("pod"), event, age=_age_seconds(fields.get("age")))
    logged = _logged(text)
    if logged is not None:
        return logged
    stamped = _STAMPED.fullmatch(text)
    if stamped:
        said = _said(stamped["message"])
        if said is None:
            return None
        kind = "Warning" if stamped["letter"] == "W" else "Normal"
        return PastedEvent(None, _event(said[0], stamped["message"], kind))
    found = _MESSAGE_FIELD.match(text)
    message = text[found.end() :] if found else text
    said = _said(message) if not found or message.startswith("The node") else None
    return None if said is None else PastedEvent(None, _event(said[0], message, said[1]))


def _logged(text: str) -> PastedEvent | None:
    """A pod's event logged as logfmt fields by another program: its kind, name, reason (one the
    kubelet or the scheduler records) and quoted message all there."""
    if not _LOGGED_KIND.search(text):
        return None
    found = {key: field.search(text) for key, field in _LOGGED_FIELDS.items()}
    name, reason, message = found["name"], found["reason"], found["message"]
    if name is None or reason is None or message is None or reason["value"] not in REASONS:
        return None
    try:
        said = json.loads(f'"{message["value"]}"')  # Go's quoting of a string, as JSON's
    except ValueError:
        said = message["value"]
    kind = found["type"]["value"] if found["type"] else None
    namespace = found["namespace"]["value"] if found["namespace"] else None
    return PastedEvent(name["value"], _event(reason["value"], said, kind), namespace)


def reason_then_message(lines: Sequence[str], index: int) -> PastedEvent | None:
    """A reason alone on its line (or Rancher's `REASON <tab>Pod NAME`) and the message on the
    next (a web console's copy)."""
    head = _head(lines[index].strip())
    if head is None or index + 1 >= len(lines):
        return None
    message = lines[index + 1].strip()
    if not message or _head(message) is not None:
        return None
    said = _said(message)
    event = _event(head[0], message, said[1] if said else None)
    return PastedEvent(head[1], event)


def read(lines: Sequence[str]) -> Read:
    """The events of a segment's lines; the pod the Scheduled event names is the others'."""
    found = Read()
    named: tuple[str, str] | None = None
    index = 0
    while index < len(lines):
        line = lines[index]
        event = reason_then_message(lines, index)
        index += 1
        if event is not None:
            index += 1  # its message is the next line
        else:
            event = event_of(line)
        if event is None:
            if line.strip() and not frame(line):
                found.unread.append(index - 1)
            continue
        found.events.append(event)
        assigned = _ASSIGNED.search(event.event["message"])
        if assigned:
            named = (assigned["ns"], assigned["name"])
    if named is not None:
        found.events = [
            replace(e, namespace=named[0], pod=named[1])
            if e.pod is None and e.event["reason"] not in NODE_REASONS
            else e
            for e in found.events
        ]
    return found


def _head(text: str) -> tuple[str, str | None] | None:
    head = _HEAD.fullmatch(text)
    if head is None or head["reason"] not in _KNOWN:
        return None
    return head["reason"], head["pod"]


def _said(message: str) -> tuple[str, str] | None:
    """(reason, type) of a message only the kubelet's events carry."""
    message = message.removeprefix(_COMBINED)
    return next((found[1:] for found in MESSAGES if found[0].match(message)), None)


def _event(
    reason: str, message: str, kind: str | None, fields: dict[str, Any] | None = None
) -> dict[str, Any]:
    fields = fields or {}
    count = fields.get("count")
    event: dict[str, Any] = {
        "reason": reason,
        "message": message.strip(),
        "count": int(count) if count else None,
        "source": (fields.get("source") or "").split(",")[0] or None,
        "last_seen": None,  # a pasted row gives an age, not a time
    }
    if kind in ("Normal", "Warning"):
        event["type"] = kind
    elif reason in ("Failed", "FailedMount", "Evicted", "BackOff", "FailedSync"):
        event["type"] = "Warning"
    return event


def _age_seconds(age: str | None) -> float | None:
    """`8m31s`, `5d1h` -> seconds since last seen; None for `<unknown>` or no age."""
    parts = _AGE_PART.findall(age or "")
    if not parts or "".join(n + u for n, u in parts) != age:
        return None
    return float(sum(int(n) * _AGE_SECONDS[u] for n, u in parts))


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
