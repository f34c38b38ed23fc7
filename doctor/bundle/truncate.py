"""Fit the files of a bundle into --max-size: cut logs from their oldest end first.

Order of sacrifice: (1) logs are cut, all to the same cap (the largest lose most), each keeping
its newest lines after a marker line saying how much was dropped; (2) if the other files alone
do not fit, the largest non-log files are left out; (3) then whole logs. Everything cut or left
out is listed in the manifest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from doctor.bundle.layout import is_log
from doctor.bundle.limits import MIN_LOG_KEEP, TAR_OVERHEAD_PER_FILE


@dataclass
class Fitted:
    files: dict[str, bytes]
    truncated: list[dict[str, int | str]] = field(default_factory=list)
    omitted: list[dict[str, int | str]] = field(default_factory=list)


def marker(dropped_bytes: int, dropped_lines: int) -> bytes:
    return (
        f"[stackdoctor: {dropped_bytes} bytes ({dropped_lines} lines) dropped from the oldest"
        " end of this log to fit --max-size]\n"
    ).encode()


def cut_oldest(data: bytes, keep: int) -> tuple[bytes, int, int]:
    """The newest whole lines of `data` behind a marker, at most `keep` bytes in all."""
    if len(data) <= keep:
        return data, 0, 0
    room = max(keep - len(marker(len(data), data.count(b"\n") + 1)), 0)
    start = len(data) - room
    if start > 0 and data[start - 1 : start] != b"\n":
        newline = data.find(b"\n", start)
        start = len(data) if newline < 0 else newline + 1
    dropped = data[:start]
    lines = dropped.count(b"\n") + (0 if dropped.endswith(b"\n") else 1)
    return marker(len(dropped), lines) + data[start:], len(dropped), lines


def cost(data: bytes) -> int:
    return len(data) + TAR_OVERHEAD_PER_FILE


def fit(files: dict[str, bytes], budget: int) -> Fitted:
    """Files whose tar cost fits `budget` bytes."""
    result = Fitted(dict(files))
    if _total(result.files) <= budget:
        return result
    logs = [p for p in result.files if is_log(p)]
    others = sorted((p for p in result.files if not is_log(p)), key=lambda p: -len(files[p]))
    floor = sum(cost(files[p][:MIN_LOG_KEEP]) for p in logs)
    while others and _total({p: files[p] for p in others}) + floor > budget:
        _omit(result, others.pop(0), "too large for --max-size")
    logs.sort(key=lambda p: -len(files[p]))
    while logs and _total({p: files[p] for p in others}) + floor > budget:
        dropped = logs.pop(0)
        floor -= cost(files[dropped][:MIN_LOG_KEEP])
        _omit(result, dropped, "too large for --max-size")
    if logs:
        room = budget - _total({p: files[p] for p in others})
        cap = _cap([len(files[p]) for p in logs], room - TAR_OVERHEAD_PER_FILE * len(logs))
        for path in logs:
            kept, dropped_bytes, dropped_lines = cut_oldest(files[path], cap)
            if dropped_bytes:
                result.files[path] = kept
                result.truncated.append(
                    {"path": path, "dropped_bytes": dropped_bytes, "dropped_lines": dropped_lines}
                )
    return result


def _omit(result: Fitted, path: str, reason: str) -> None:
    result.omitted.append({"path": path, "bytes": len(result.files.pop(path)), "reason": reason})


def _total(files: dict[str, bytes]) -> int:
    return sum(cost(data) for data in files.values())


def _cap(sizes: list[int], room: int) -> int:
    """The largest per-log cap with sum(min(size, cap)) <= room (at least MIN_LOG_KEEP)."""
    low, high = MIN_LOG_KEEP, max(sizes, default=MIN_LOG_KEEP)
    while low < high:
        middle = (low + high + 1) // 2
        if sum(min(size, middle) for size in sizes) <= room:
            low = middle
        else:
            high = middle - 1
    return low
