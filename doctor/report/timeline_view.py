"""The timeline section of the text and markdown reports: the entries around the root cause.

Not the whole log: the entries that are the root cause's (and its chain's) evidence, a few
before and after each, and a line saying how many were left out between. Plain strings, so the
text report prints them as they are (rich is imported in text.py alone).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from doctor.model import Report, TimelineEntry

BEFORE = 3  # entries shown before each of the root cause's, and after
AFTER = 3
MOST = 24  # entries shown at most: beyond, only the first and the last evidence's windows
MARK = "▶"


@dataclass(frozen=True)
class Row:
    entry: TimelineEntry | None  # None: a gap of `skipped` entries not shown
    evidence: bool = False
    skipped: int = 0


def rows(report: Report) -> list[Row]:
    """The rows to show, oldest first; none without a root cause or a timeline."""
    timeline, root = report.timeline, report.root_cause
    if timeline is None or root is None or not timeline.entries:
        return []
    marked = set(report.evidence_entries.get(root.finding.key, ()))
    for finding in root.chain:  # the symptoms' evidence when the cause's own has no time
        marked.update(report.evidence_entries.get(finding.key, ()))
    entries = timeline.entries
    positions = [i for i, entry in enumerate(entries) if entry.id in marked]
    if not positions:  # what happened last before the facts were collected
        positions = [len(entries) - 1]
    shown = _windows(positions, len(entries))
    if len(shown) > MOST:
        shown = _windows([positions[0], positions[-1]], len(entries))
    out: list[Row] = []
    previous = -1
    for index in sorted(shown):
        if index > previous + 1:
            out.append(Row(None, skipped=index - previous - 1))
        out.append(Row(entries[index], entries[index].id in marked))
        previous = index
    if previous < len(entries) - 1:
        out.append(Row(None, skipped=len(entries) - 1 - previous))
    return out


def _windows(positions: list[int], total: int) -> set[int]:
    return {
        index
        for position in positions
        for index in range(max(position - BEFORE, 0), min(position + AFTER + 1, total))
    }


def notes(report: Report, shown: list[Row]) -> list[str]:
    """How the shown entries' times were placed, once per source, and any clock that is off."""
    notes: dict[str, None] = {}
    for row in shown:
        if row.entry is not None and row.entry.note:
            notes[f"{row.entry.source}: {row.entry.note}"] = None
    clock = report.timeline.clock_off if report.timeline else ()
    return [*notes, *(f"clock off: {line}" for line in clock)]


def _too_old(report: Report, width: int) -> list[str]:
    """Evidence left out as older than the trouble diagnosed: said even when nothing fired."""
    lines = []
    for note in report.too_old:
        lines += textwrap.wrap(note, width - 2, initial_indent="  ", subsequent_indent="    ")
    return ["", "LEFT OUT AS TOO OLD (not evidence)", *lines] if lines else []


def text(report: Report, width: int) -> str:
    """The TIMELINE section, lines cut to `width`, and what was left out as too old; empty
    when there is nothing to show."""
    old = _too_old(report, width)
    shown = rows(report)
    if not shown:
        return "\n".join(old) + "\n" if old else ""
    day = next(row.entry.time for row in shown if row.entry is not None).partition("T")[0]
    lines = ["", f"TIMELINE ({day}, UTC; {MARK} the root cause's evidence)"]
    times = [_when(row.entry.time, day) for row in shown if row.entry is not None]
    column = max(len(when) for when in times)
    for row in shown:
        if row.entry is None:
            lines.append(f"  … {_count(row.skipped)} not shown")
            continue
        entry = row.entry
        layer = entry.layer.value if entry.layer is not None else "(all)"
        mark = MARK if row.evidence else " "
        when = _when(entry.time, day).ljust(column)
        lines.append(_cut(f"{mark} {when} {layer:<10} {entry.what}", width))
    for note in notes(report, shown):
        lines += textwrap.wrap(note, width - 2, initial_indent="  ", subsequent_indent="    ")
    return "\n".join(lines + old) + "\n"


def markdown(report: Report) -> list[str]:
    """The same as a table, for pasting into an issue; no lines when there is nothing."""
    shown = rows(report)
    if not shown:
        return _markdown_too_old(report)
    out = [
        "## Timeline",
        "",
        "The entries around the root cause (**bold**: its evidence).",
        "",
        "| time (UTC) | layer | source | what |",
        "| --- | --- | --- | --- |",
    ]
    for row in shown:
        if row.entry is None:
            out.append(f"| … | | | {_count(row.skipped)} not shown |")
            continue
        entry = row.entry
        what = _cell(entry.what)
        what = f"**{what}**" if row.evidence and what else what
        layer = entry.layer.value if entry.layer is not None else "(all)"
        out.append(f"| `{entry.time}` | {layer} | {entry.source} | {what} |")
    out.append("")
    said = notes(report, shown)
    out += [f"- {_cell(note)}" for note in said]
    out += [""] if said else []
    return out + _markdown_too_old(report)


def _markdown_too_old(report: Report) -> list[str]:
    if not report.too_old:
        return []
    head = ["Left out as too old (not evidence):", ""]
    return [*head, *(f"- {_cell(note)}" for note in report.too_old), ""]


def _when(time: str, day: str) -> str:
    """The time of day as the source gave it (its precision kept) on `day`, else all of it."""
    return time.partition("T")[2].removesuffix("Z") if time.startswith(day + "T") else time


def _cut(line: str, width: int) -> str:
    return line if len(line) <= width else line[: width - 1] + "…"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _count(number: int) -> str:
    return f"{number} entr{'y' if number == 1 else 'ies'}"
