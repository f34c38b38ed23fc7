"""Times as the facts write them, turned into one comparable number.

The sources disagree on precision (an event's whole second, klog's microsecond, containerd's
nanosecond) and on zone (a klog or syslog line names none). Entries keep the text they were
given; ordering uses microseconds since the epoch, a zoneless time read in the node's zone when
the facts know it, else as UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

MICROS = 1_000_000


def instant(text: str, local_offset: int = 0) -> int | None:
    """Microseconds since the epoch; None for a time that does not parse. A zoneless time is
    the node's local time, `local_offset` seconds ahead of UTC."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone(timedelta(seconds=local_offset)))
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * MICROS + delta.microseconds


def has_zone(text: str) -> bool:
    """Whether an ISO 8601 time names its zone (`Z` or an offset after the clock)."""
    clock = text.rpartition("T")[2]
    return clock.endswith(("Z", "z")) or "+" in clock or "-" in clock


def rfc3339(text: str, local_offset: int = 0) -> str:
    """The time as given, its precision kept, with the local zone added when it names none."""
    if has_zone(text):
        return text
    if not local_offset:
        return text + "Z"
    sign, seconds = ("-", -local_offset) if local_offset < 0 else ("+", local_offset)
    return f"{text}{sign}{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
