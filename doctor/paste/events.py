"""Pod events pasted without their table: the rows of a describe Events section cut from its
pod, a `kubectl get events` row without its header, the reason-first layout of kubectl before
1.10, the Cloud Console's export, and the kubelet's event messages alone.

Every layout is told by its reason (one the kubelet or the scheduler records,
pkg/kubelet/events/event.go) or by a message only the kubelet's events carry; anything else is
left to the other readers. Whose events they are: the pod a row names (`pod/NAME`), else the
pod the paste is about (facts.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
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

_COUNT = r"(?: \(x(?P<count>\d+) over \S+\))?"
_SOURCE = r"(?P<source>[\w.-]+(?:, [\w.-]+)?)"
_LAYOUTS = (
    # describe: Type Reason Age From Message (columns 2+ spaces apart, or 1 when re-typed)
    re.compile(
        r"(?P<type>Normal|Warning)\s+(?P<reason>[A-Z]\w+)\s+(?P<age>\S+)" + _COUNT
        + r"\s+" + _SOURCE + r"\s+(?P<message>\S.*)"
    ),
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
# Messages only the kubelet's events carry (pkg/kubelet/volumemanager, kuberuntime, eviction),
# alone or as a pod's status `Message:`; the reason they are recorded under
MESSAGES = (
    (re.compile(r"MountVolume\.\w+ failed for volume|[Uu]nable to (?:attach or )?mount volumes"
                r" for pod|hostPath type check failed"), "FailedMount"),
    (re.compile(r"Error: "), "Failed"),
    (re.compile(r"The node was low on resource: |The node had condition: "), "Evicted"),
)  # fmt: skip
_MESSAGE_FIELD = re.compile(r"[Mm]essage:\s+'?")
# Lines of a describe Events section that carry no event
_FRAME = re.compile(r"Events:\s*|Type\s+Reason\s+Age\s+From\s+Message\s*|[-\s]+")


@dataclass(frozen=True)
class PastedEvent:
    pod: str | None  # the pod the row names, else None: the paste's pod
    event: dict[str, Any]


def frame(line: str) -> bool:
    """A line of a describe Events section that holds no event (its title, header, rule)."""
    return bool(_FRAME.fullmatch(line.strip()))


def event_of(line: str) -> PastedEvent | None:
    """The event a pasted line is, or None."""
    text = line.strip()
    for layout in _LAYOUTS:
        row = layout.fullmatch(text)
        if row and row["reason"] in REASONS:
            fields = row.groupdict()
            return PastedEvent(
                fields.get("pod"),
                _event(fields["reason"], fields["message"], fields.get("type"), fields),
            )
    stamped = _STAMPED.fullmatch(text)
    if stamped:
        reason = _reason(stamped["message"])
        kind = "Warning" if stamped["letter"] == "W" else "Normal"
        return (
            None if reason is None else PastedEvent(None, _event(reason, stamped["message"], kind))
        )
    field = _MESSAGE_FIELD.match(text)
    message = text[field.end() :] if field else text
    reason = _reason(message) if not field or message.startswith("The node") else None
    return None if reason is None else PastedEvent(None, _event(reason, message, None))


def reason_then_message(lines: Sequence[str], index: int) -> PastedEvent | None:
    """A reason alone on its line and the message on the next (a web console's copy)."""
    reason = lines[index].strip()
    if reason not in REASONS or index + 1 >= len(lines):
        return None
    message = lines[index + 1].strip()
    if not message or message in REASONS:
        return None
    return PastedEvent(None, _event(reason, message, None))


def _reason(message: str) -> str | None:
    return next((reason for pattern, reason in MESSAGES if pattern.match(message)), None)


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
