"""Times as the facts write them, turned into one comparable number.

The sources disagree on precision (an event's whole second, klog's microsecond, containerd's
nanosecond) and on zone (a klog or syslog line names none). Entries keep the text they were
given; ordering uses microseconds since the epoch, a zoneless time read as UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime

MICROS = 1_000_000


def instant(text: str) -> int | None:
    """Microseconds since the epoch; None for a time that does not parse."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * MICROS + delta.microseconds


def has_zone(text: str) -> bool:
    """Whether an ISO 8601 time names its zone (`Z` or an offset after the clock)."""
    clock = text.rpartition("T")[2]
    return clock.endswith(("Z", "z")) or "+" in clock or "-" in clock


def rfc3339(text: str) -> str:
    """The time as given, its precision kept, with `Z` added when it names no zone."""
    return text if has_zone(text) else text + "Z"


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
