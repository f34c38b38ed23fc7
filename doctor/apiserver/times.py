"""Kubernetes times as the facts document writes them (RFC 3339, UTC, `Z`)."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


def parse_time(value: object) -> datetime | None:
    """RFC 3339 (JSON) or RFC 1123Z (`kubectl describe`: Mon, 01 Jan 2024 10:00:00 +0000)."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None


def rfc3339(value: object) -> str | None:
    moment = parse_time(value)
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def seconds_between(start: object, end: object) -> float | None:
    first, last = parse_time(start), parse_time(end)
    if first is None or last is None or first.tzinfo is None or last.tzinfo is None:
        return None
    return max((last - first).total_seconds(), 0.0)
