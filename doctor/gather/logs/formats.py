"""The line formats of the kubelet's and containerd's logs, parsed into facts log lines.

klog (the kubelet), logrus text, JSON and TTY (containerd), each optionally behind a journald or
syslog prefix, and `journalctl -o json` records. A line is parsed into `time`, `severity`,
`source`, `message` and `raw`, the form the facts schema's `log_line` has.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

LogLine = dict[str, Any]

# -- severity -----------------------------------------------------------------------------------

_RANK = {
    "trace": 0, "debug": 0, "d": 0, "i": 0, "info": 0,
    "w": 1, "warn": 1, "warning": 1,
    "e": 2, "error": 2, "err": 2,
    "f": 3, "fatal": 3, "panic": 3, "crit": 3,
}  # fmt: skip
_LOGRUS_TTY = {"DEBU": "debug", "INFO": "info", "WARN": "warning", "ERRO": "error"}
_LOGRUS_TTY |= {"FATA": "fatal", "PANI": "panic", "TRAC": "trace"}
_PRIORITY = ("fatal", "fatal", "fatal", "error", "warning", "info", "info", "debug")


def severity_rank(severity: str | None) -> int | None:
    """0 info/debug, 1 warning, 2 error, 3 fatal; None when the line has no level."""
    return None if severity is None else _RANK.get(severity.lower())


# -- the formats --------------------------------------------------------------------------------

# journald/syslog prefix: "Nov 11 19:19:23 host kubelet[7321]: " (BSD, optional fraction as in
# journalctl -o short-precise, localized month names) or rsyslog's RFC 3339 timestamp. Two
# spaces may follow the host (a paste re-aligned by hand, containerd/containerd#9929). A line
# trimmed to its `ident[pid]: ` is no journal line: doctor/paste/kinds.py reads it as one.
_PREFIX = re.compile(
    r"(?:(?P<bsd>\S{3,4} [ \d]?\d \d\d:\d\d:\d\d(?:\.\d+)?)|(?P<iso>\d{4}-\d\d-\d\dT\S+))"
    r" (?P<host>\S+) {1,2}(?P<ident>[^\s\[:]+)(?:\[(?P<pid>\d+)\])?: "
)
# klog header (strings.md A0): Lmmdd hh:mm:ss.uuuuuu <pid padded to 7> file:line] msg
_KLOG = re.compile(
    r"(?P<sev>[IWEF])(?P<month>\d\d)(?P<day>\d\d) (?P<time>\d\d:\d\d:\d\d\.\d{6})\s+"
    r"(?P<pid>\d+) (?P<src>[\w.\-/]+:\d+)\] ?"
)
# logrus text: key=value, quoted when the value has spaces or quotes (inner quotes as \")
_LOGFMT_PAIR = re.compile(r'\s*(?P<key>[\w.-]+)=(?P<value>"(?:[^"\\]|\\.)*"|\S*)')
_LOGRUS_TTY_LINE = re.compile(r"(?P<lvl>[A-Z]{4})\[(?P<ts>[^\]]*)\] +(?P<msg>.*)")
_BSD_TIME = re.compile(r"(?P<mon>\S+) +(?P<day>\d+) (?P<time>\d\d:\d\d:\d\d(?:\.\d+)?)")
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}
# containerd's logrus text as _logrus_text reads it: time, then level, then msg.
_LOGRUS_HEAD = re.compile(r'time="[^"\\]*" level=(?P<sev>\w+) msg=')
# klog's multi-line string value (klog v2.140.0 internal/serialize/keyvalues.go:295-310):
# `key=<`, each line of the value behind a tab, then ` >` on a line of its own.
_KLOG_LINES_VALUE = re.compile(r"=<\n((?:\t[^\n]*\n)*) >")


def header_level(entry: str) -> str | None:
    """The level in the header of a klog or logrus-text line (behind any syslog prefix), read
    without parsing the line; None for any other format.

    Those are the formats whose message is a substring of the line and whose level sits at a
    fixed place, so a line can be judged from its text (selection.surely_not_node_line).
    """
    prefix = _PREFIX.match(entry)
    body = entry[prefix.end() :] if prefix else entry
    head = _KLOG.match(body) or _LOGRUS_HEAD.match(body)
    return None if head is None else head.group("sev")


def syslog_prefix(text: str) -> tuple[str, str] | None:
    """(identifier, the program's own text) of a line behind a journald/syslog prefix; None for
    a line without one."""
    prefix = _PREFIX.match(text)
    return None if prefix is None else (prefix.group("ident"), text[prefix.end() :])


def parse_line(text: str, reference: datetime, ident: str | None = None) -> LogLine | None:
    """One log line in facts form, or None when `ident` is given and the line is another
    program's (shared syslog files). `reference` is when the log was last written: klog and
    BSD syslog timestamps have no year, so it is taken from there (the year before when the
    line's month is later than the reference's: the log crossed New Year)."""
    raw = text.rstrip("\r\n")
    body, prefix_time = raw, None
    prefix = _PREFIX.match(raw)
    if prefix:
        if ident is not None and prefix.group("ident") != ident:
            return None
        body = raw[prefix.end() :]
        prefix_time = prefix.group("iso") or _bsd_time(prefix.group("bsd"), reference)
    elif ident is not None:
        return None
    line = parse_body(body, reference)
    if line["time"] is None:
        line["time"] = prefix_time
    line["raw"] = raw
    return line


def parse_body(body: str, reference: datetime) -> LogLine:
    """The component's own text, without any journald/syslog prefix."""
    klog = _KLOG.match(body)
    if klog:
        month, day = int(klog.group("month")), int(klog.group("day"))
        return {
            "time": _with_year(month, day, klog.group("time"), reference),
            "severity": klog.group("sev"),
            "source": klog.group("src"),
            "message": quote_klog_lines(body[klog.end() :]),
        }
    if body.startswith("{"):
        record = json_object(body)
        if record is not None and "msg" in record:
            return _logrus_json(record)
    if "msg=" in body and ("level=" in body or body.startswith("time=")):
        parsed = _logrus_text(body)
        if parsed is not None:
            return parsed
    tty = _LOGRUS_TTY_LINE.match(body)
    if tty and tty.group("lvl") in _LOGRUS_TTY:
        stamp = tty.group("ts")
        return {
            "time": stamp if "T" in stamp else None,  # INFO[0000] is seconds since start
            "severity": _LOGRUS_TTY[tty.group("lvl")],
            "source": None,
            "message": re.sub(r" {2,}", " ", tty.group("msg")).strip(),
        }
    return {"time": None, "severity": None, "source": None, "message": body}


def quote_klog_lines(message: str) -> str:
    """A klog message with each multi-line value (`key=<`, tab-indented lines, ` >`) written as
    klog writes a one-line value, `key="..."`, so a rule reads either the same way. The line
    break before ` >` is dropped: klog writes it whether or not the value ended with one."""
    if "=<\n" not in message:
        return message

    def quoted(match: re.Match[str]) -> str:
        lines = match.group(1).split("\n")[:-1]
        value = "\n".join(line[1:] for line in lines)
        return "=" + json.dumps(value, ensure_ascii=False)  # Go's %q, as klog quotes

    return _KLOG_LINES_VALUE.sub(quoted, message)


def _logrus_text(body: str) -> LogLine | None:
    """`time="..." level=error msg="X failed, error" error="..."`: the message is the text after
    `msg="` as written (escapes kept, like the kubelet's structured values), so the msg and the
    key=value fields that follow it stay together; the closing quote is dropped when msg is last.
    """
    fields: dict[str, str] = {}
    position = 0
    while True:
        pair = _LOGFMT_PAIR.match(body, position)
        if not pair:
            return None
        key, value = pair.group("key"), pair.group("value")
        if key == "msg":
            quoted = value.startswith('"')
            start = pair.start("value") + (1 if quoted else 0)
            message = body[start:]
            if quoted and pair.end() == len(body.rstrip()):
                message = message.rstrip()[:-1]
            return {
                "time": _unquote(fields["time"]) if "time" in fields else None,
                "severity": _unquote(fields["level"]) if "level" in fields else None,
                "source": None,
                "message": message,
            }
        fields[key] = value
        position = pair.end()


def _logrus_json(record: dict[str, Any]) -> LogLine:
    """containerd 2.x `--log-format json`: msg, then the other fields as key=value."""
    extra = [
        f"{key}={_logfmt_value(value)}"
        for key, value in sorted(record.items())
        if key not in ("msg", "level", "time")
    ]
    return {
        "time": _str_or_none(record.get("time")),
        "severity": _str_or_none(record.get("level")),
        "source": None,
        "message": " ".join([str(record["msg"]), *extra]),
    }


def parse_journal_json(text: str, reference: datetime) -> LogLine | None:
    """One line of `journalctl -o json` output; None when it is not a JSON object."""
    record = json_object(text)
    return parse_journal_record(record, reference) if record else None


def parse_journal_record(record: Mapping[str, Any], reference: datetime) -> LogLine | None:
    """A `journalctl -o json` record: its MESSAGE parsed as a line; the journal's own timestamp
    (microseconds since the epoch, with the year) replaces klog's year-less time."""
    message = record.get("MESSAGE")
    if isinstance(message, list):  # journald's form of a non-UTF-8 message: a byte array
        message = bytes(b for b in message if isinstance(b, int)).decode("utf-8", "replace")
    if not isinstance(message, str):
        return None
    line = parse_body(message.rstrip("\n"), reference)
    stamp = _realtime(record.get("__REALTIME_TIMESTAMP"))
    if stamp is not None and (line["time"] is None or line["source"] is not None):
        line["time"] = stamp
    if line["severity"] is None:
        priority = str(record.get("PRIORITY", ""))
        line["severity"] = (
            _PRIORITY[int(priority)] if priority.isdigit() and int(priority) < 8 else None
        )
    line["raw"] = message.rstrip("\n")
    return line


def _with_year(month: int, day: int, clock: str, reference: datetime) -> str | None:
    # The year is inferred from the reference (the file's mtime or the collection time): the
    # latest year that does not put the line after it (a day of slack for the writer's zone,
    # which the line does not say: no zone suffix). "Dec 28" read on Dec 7 is last year's.
    year = reference.year
    if (month, day) > (reference.month, reference.day):
        try:
            ahead = datetime(year, month, day) - reference.replace(tzinfo=None)
        except ValueError:  # Feb 29 in a year without one
            ahead = timedelta(days=2)
        if ahead > timedelta(days=1):
            year -= 1
    try:
        return datetime(year, month, day).strftime("%Y-%m-%d") + "T" + clock
    except ValueError:
        return None


def _bsd_time(text: str | None, reference: datetime) -> str | None:
    match = _BSD_TIME.match(text or "")
    if not match or match.group("mon") not in _MONTHS:
        return None
    return _with_year(
        _MONTHS[match.group("mon")], int(match.group("day")), match.group("time"), reference
    )


def _realtime(value: object) -> str | None:
    if not isinstance(value, str) or not value.isdigit():
        return None
    micros = int(value)
    stamp = datetime.fromtimestamp(micros // 1_000_000, UTC).replace(microsecond=micros % 1_000_000)
    return stamp.isoformat().replace("+00:00", "Z")


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        try:
            text = json.loads(value)
            return text if isinstance(text, str) else value[1:-1]
        except ValueError:
            return value[1:-1]
    return value


def _logfmt_value(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return json.dumps(text) if not text or re.search(r'[\s"=]', text) else text


def json_object(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _str_or_none(value: object) -> str | None:
    return None if value is None else str(value)
