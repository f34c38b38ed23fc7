"""Evidence bound to time: the log lines and events older than the trouble being diagnosed are
left out before the rules see them.

A log remembers what the node has since recovered from: an IP allocator's "no IP addresses
available" keeps firing after the leaked addresses were freed. A pod's window opens when its
current sandbox was created, or its oldest container attempt the runtime still holds when that
is older (everything before is about sandboxes and attempts that are gone); a node check's opens
`--since` before the collection. Lines and events without a time are kept (their age is
not known), and so is everything of a pod with no sandbox.

A time a line gave without its zone (klog, syslog) is placed with the node's offset when the
facts record it (`collected.utc_offset_seconds`); otherwise it is only left out when it is older
than the window whatever the zone (by more than UTC's widest offsets).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from doctor.facts.document import FactsDocument
from doctor.timeline.moments import MICROS, has_zone, instant

ANY_ZONE = 14 * 3600 * MICROS  # UTC-12 to UTC+14: how far a zoneless time may be off
LEAD = 2 * MICROS  # a window opens this much before the moment that opens it
# The lists of timed facts, the field with their time, and what the report calls them.
POD_LISTS = (
    ("kubelet_log", "time", "kubelet lines"),
    ("containerd_log", "time", "containerd lines"),
    ("events", "last_seen", "events"),
)
NODE_LISTS = (
    ("kubelet", "log", "node kubelet lines"),
    ("containerd", "log", "node containerd lines"),
    ("node", "kernel_log", "kernel lines"),
)


@dataclass(frozen=True)
class Window:
    """Where a subject's evidence starts: a time, and why it starts there."""

    start: int  # microseconds since the epoch
    since: str  # why it starts there: "the pod's current sandbox was created at T", "--since"


@dataclass(frozen=True)
class Windowed:
    facts: FactsDocument  # without what is older than its subject's window
    too_old: tuple[str, ...]  # what was left out, said per subject and list
    start: int | None  # the target's window: where its evidence starts (None: all of it)


def windowed(facts: FactsDocument, since_seconds: float | None, pod_target: bool) -> Windowed:
    """The facts without the evidence older than each subject's window, what was left out,
    and where the target's window starts.

    In a pod's diagnosis (`pod_target`, the facts narrowed to it) the node's logs are windowed
    by that pod's window; a node diagnosis's by `since_seconds`. Each pod's own lines and
    events by its own window, or `since_seconds` in a node diagnosis when that is later.
    """
    data = facts.data
    offset = _offset(data)
    pods = facts.pods()
    since = _since(data, since_seconds) if since_seconds is not None and not pod_target else None
    notes: list[str] = []
    new_pods = []
    for pod in pods:
        window = _later(pod_window(pod), since)
        if window is None:
            new_pods.append(pod)
            continue
        kept, left = _without_old(pod, POD_LISTS, window, offset)
        new_pods.append(kept)
        notes += _said(left, window, f"{pod['namespace']}/{pod['name']}")
    node_window = pod_window(pods[0]) if pod_target and len(pods) == 1 else since
    layers = data["layers"]
    if node_window is not None:
        layers = dict(layers)
        for layer, field, what in NODE_LISTS:
            section, left = _without_old(
                layers[layer], ((field, "time", what),), node_window, offset
            )
            layers[layer] = section
            notes += _said(left, node_window, "node logs")
    start = node_window.start if node_window is not None else None
    if not notes:
        return Windowed(facts, (), start)
    narrowed = FactsDocument({**data, "layers": layers, "pods": new_pods}, facts.origin)
    return Windowed(narrowed, tuple(notes), start)


def pod_window(pod: Mapping[str, Any]) -> Window | None:
    """From the pod's current sandbox, or the oldest attempt the runtime still holds when that
    is older (the last attempt that died may have been in the sandbox before); a little
    earlier, for the request that made it and kmsg's whole-second boot time. None without a
    sandbox: then nothing says when the current trouble began."""
    sandbox = pod.get("sandbox") or {}
    created = sandbox.get("created_at")
    if not isinstance(created, str) or not has_zone(created):
        return None
    times = [created] + [
        c.get("created_at") or c.get("started_at") for c in pod.get("containers") or []
    ]
    moments = [
        (moment, at)
        for at in times
        if isinstance(at, str) and has_zone(at) and (moment := instant(at)) is not None
    ]
    if not moments:
        return None
    start, at = min(moments)
    why = "the pod's current sandbox" if at == created else "the pod's oldest attempt held"
    why += " was created"
    return Window(start - LEAD, f"{why} at {at}")


def _later(first: Window | None, second: Window | None) -> Window | None:
    if first is None or second is None:
        return first or second
    return first if first.start >= second.start else second


def _since(data: Mapping[str, Any], seconds: float) -> Window | None:
    at = data["collected"]["at"]
    collected = instant(at) if has_zone(at) else None
    if collected is None:
        return None
    return Window(collected - int(seconds * MICROS), f"--since {seconds:g} s before {at}")


def _without_old(
    holder: Mapping[str, Any],
    lists: tuple[tuple[str, str, str], ...],
    window: Window,
    offset: int | None,
) -> tuple[dict[str, Any], dict[str, int]]:
    """`holder` with each list's items older than the window removed; how many, per list."""
    copy = dict(holder)
    left: dict[str, int] = {}
    cutoff = _Cutoff(window.start, offset)
    for key, field, what in lists:
        items = holder.get(key)
        if not isinstance(items, list) or not items:
            continue
        kept = [item for item in items if not cutoff.older(item.get(field))]
        if len(kept) < len(items):
            copy[key] = kept
            left[what] = len(items) - len(kept)
    return copy, left


class _Cutoff:
    """Whether a time is before the window's start. Most times differ from it by a second or
    more: their `YYYY-MM-DDTHH:MM:SS` decides without parsing (a node's thousands of lines)."""

    def __init__(self, start: int, offset: int | None) -> None:
        self.start, self.offset = start, offset
        self.utc = _second(start)
        # a zoneless (local) time: before the start in the node's zone, or in every zone
        self.local = _second(start + offset * MICROS) if offset is not None else None
        self.any_zone = _second(start - ANY_ZONE)

    def older(self, at: object) -> bool:
        if not isinstance(at, str):
            return False
        zoned = has_zone(at)
        if zoned and not at.endswith("Z"):
            return self._exact(at)
        second = self.utc if zoned else self.local if self.local is not None else self.any_zone
        head = at[:19]
        if len(at) >= 19 and at[10] == "T" and head != second:
            return head < second
        return self._exact(at)

    def _exact(self, at: str) -> bool:
        moment = instant(at)  # a zoneless time read as UTC here
        if moment is None:
            return False
        if has_zone(at):
            return moment < self.start
        if self.offset is None:  # local time of an unknown zone: old whatever the zone
            return moment + ANY_ZONE < self.start
        return moment - self.offset * MICROS < self.start


def _second(moment: int) -> str:
    """`YYYY-MM-DDTHH:MM:SS` (UTC) of a moment in microseconds since the epoch."""
    return datetime.fromtimestamp(moment // MICROS, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _offset(data: Mapping[str, Any]) -> int | None:
    """The node's offset from UTC in seconds, when the facts know it."""
    seconds = data["collected"].get("utc_offset_seconds")
    return seconds if isinstance(seconds, int) and not isinstance(seconds, bool) else None


def _said(left: dict[str, int], window: Window, subject: str) -> list[str]:
    if not left:
        return []
    counts = ", ".join(f"{count} {what}" for what, count in left.items())
    return [f"{subject}: {counts} older than the window ({window.since}) left out"]
