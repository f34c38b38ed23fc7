"""Pasted daemon and kernel log lines -> the log each belongs in (gather/logs/daemons.py).

journal/syslog lines go where their identifier says (a bundling daemon's by the line's format);
bare klog lines are the kubelet's and bare logrus lines the runtime's; dmesg and kern.log lines
are the kernel's; `journalctl -o json` records go by their SYSLOG_IDENTIFIER or unit. Lines are
parsed by gather/logs/formats.py, the parsers the live gatherers use.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from doctor.gather.logs import daemons
from doctor.gather.logs.daemons import Writer
from doctor.gather.logs.formats import (
    LogLine,
    parse_journal_json,
    parse_line,
    syslog_prefix,
)
from doctor.gather.node import KERNEL_TROUBLE
from doctor.paste.cri_client import is_crictl
from doctor.paste.kinds import DMESG, Kind, continues_entry

# kern.log / journalctl -k repeat the ring buffer's own `[seconds.micros] ` after the prefix
_KERNEL_STAMP = re.compile(r"\[\s*\d+\.\d+\] ")
_DMESG_TIME = "%a %b %d %H:%M:%S %Y"  # dmesg -T (ctime)


@dataclass
class Placed:
    """Log entries by the log they belong in, as text (parsed on demand, like sources.RawLog),
    and the identifiers of the lines of programs no layer reads."""

    entries: dict[Writer, list[str]] = field(default_factory=lambda: {w: [] for w in Writer})
    others: dict[str, int] = field(default_factory=dict)  # identifier -> lines not placed
    crictl: list[str] = field(default_factory=list)  # crictl's own lines (cri_client.py)


def entries(lines: Sequence[str]) -> Iterator[str]:
    """The lines, with each continuation line (klog multi-line values, stacks) joined to its
    entry."""
    entry: str | None = None
    for line in lines:
        if entry is not None and continues_entry(line):
            entry += "\n" + line
            continue
        if entry is not None:
            yield entry
        entry = line
    if entry is not None:
        yield entry


def place(kind: Kind, lines: Sequence[str], placed: Placed) -> None:
    """Put a log segment's entries where they belong."""
    for entry in entries(lines):
        if kind is Kind.LOGRUS and is_crictl(entry):
            placed.crictl.append(entry)  # a client's view of the runtime, not its log
            continue
        writer, ident = _writer(kind, entry)
        if writer is None:
            placed.others[ident] = placed.others.get(ident, 0) + 1
        else:
            placed.entries[writer].append(entry)


def _writer(kind: Kind, entry: str) -> tuple[Writer | None, str]:
    if kind is Kind.JOURNAL:
        prefix = syslog_prefix(entry)
        if prefix is not None:
            return daemons.writer(*prefix), prefix[0]
    if kind is Kind.JOURNAL_JSON:
        return _journal_record_writer(entry)
    if kind is Kind.DMESG:
        return Writer.KERNEL, "kernel"
    if kind is Kind.LOGRUS:
        return Writer.RUNTIME, "containerd"
    return Writer.KUBELET, "kubelet"  # klog


def _journal_record_writer(entry: str) -> tuple[Writer | None, str]:
    try:
        record = json.loads(entry)
    except ValueError:
        return None, "?"
    if not isinstance(record, dict):
        return None, "?"
    ident = record.get("SYSLOG_IDENTIFIER")
    if not isinstance(ident, str):
        unit = record.get("_SYSTEMD_UNIT")
        ident = daemons.UNITS.get(unit, str(unit)) if isinstance(unit, str) else "?"
    if record.get("_TRANSPORT") == "kernel":
        ident = "kernel"
    message = record.get("MESSAGE")
    return daemons.writer(ident, message if isinstance(message, str) else ""), ident


def parse_daemon_entry(entry: str, reference: datetime) -> LogLine | None:
    """A kubelet or runtime entry in facts form, whatever form it was pasted in."""
    if entry.startswith("{") and '"MESSAGE"' in entry:
        return parse_journal_json(entry, reference)
    return parse_line(entry, reference)


def kernel_lines(found: Sequence[str], reference: datetime, keep: int) -> list[LogLine]:
    """The newest `keep` kernel entries that explain container trouble (node.KERNEL_TROUBLE,
    as the live gatherer keeps), oldest first."""
    kept: list[LogLine] = []
    for entry in reversed(found):
        if not KERNEL_TROUBLE.search(entry):
            continue
        line = _kernel_line(entry, reference)
        if line is not None:
            kept.append(line)
            if len(kept) == keep:
                break
    return kept[::-1]


def _kernel_line(entry: str, reference: datetime) -> LogLine | None:
    dmesg = DMESG.match(entry)
    if dmesg:
        return {
            "time": _dmesg_time(dmesg.group("stamp")),
            "severity": None,
            "source": "kernel",
            "message": entry[dmesg.end() :],
            "raw": entry,
        }
    line = parse_daemon_entry(entry, reference)
    if line is None:
        return None
    stamp = _KERNEL_STAMP.match(line["message"])
    if stamp:
        line["message"] = line["message"][stamp.end() :]
    line["source"] = "kernel"
    return line


def _dmesg_time(stamp: str) -> str | None:
    """dmesg -T's wall-clock time; the others are seconds since boot or lack the year."""
    try:
        moment = datetime.strptime(" ".join(stamp.split()), _DMESG_TIME)
    except ValueError:
        return None
    return moment.isoformat()  # the node's local time, whose offset the line does not say


def bare_line(text: str) -> dict[str, Any]:
    """A message a user trimmed of its prefix: nothing but its text is known."""
    return {"time": None, "severity": None, "source": None, "message": text, "raw": text}
