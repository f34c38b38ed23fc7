"""The kubelet's and containerd's logs: a bounded tail, parsed into facts log lines, filtered.

Where a log comes from: the systemd journal when journalctl exists and the host's journal is
readable, otherwise a dedicated file (/var/log/kubelet.log...) or the shared syslog files
filtered by the program's identifier. Only the last `GatherOptions.log_bytes` are ever read
(`Host.read_tail`; `journalctl -n`), and parsed line by line.

Two uses: the node-level lines that matter (`NODE_PATTERNS`, newest `NODE_LINES_MAX`) become the
layer's `log`; the orchestrator later hands every parsed line to `assign_pod_lines`, which keeps
each pod's own lines (newest `POD_LINES_MAX`) in `kubelet_log` / `containerd_log`.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import shutil
import subprocess
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from doctor.gather.context import GatherContext, GatherOptions, LayerRecorder
from doctor.gather.host import Host

log = logging.getLogger(__name__)

NODE_LINES_MAX = 500
POD_LINES_MAX = 200
SYSLOG_FILES = ("/var/log/syslog", "/var/log/messages")  # Debian/Ubuntu, RHEL/SUSE
JOURNAL_DIRS = ("/var/log/journal", "/run/log/journal")  # persistent, volatile
JOURNAL_BYTES_PER_ENTRY = 256  # `journalctl -n` bound: about log_bytes worth of entries
JOURNAL_FIELDS = "MESSAGE,__REALTIME_TIMESTAMP,PRIORITY,SYSLOG_IDENTIFIER,_PID"

LogLine = dict[str, Any]


@dataclass(frozen=True)
class RawLog:
    """A log's bounded tail kept as text (raw lines or journal JSON records), parsed on demand.

    Parsed lines are dicts several times the size of their text; keeping 16 MiB of them would
    cost ~100 MB. The text is kept instead: node-level lines are parsed once while streaming,
    and the pods' lines only after a cheap substring match on the text.
    """

    entries: list[str]  # oldest first
    parse: Callable[[str], LogLine | None]

    def lines(self) -> Iterator[LogLine]:
        for entry in self.entries:
            line = self.parse(entry)
            if line is not None:
                yield line

    def mentioning(self, pattern: re.Pattern[str]) -> Iterator[tuple[LogLine, str]]:
        """Parsed lines whose text matches `pattern`, with that text."""
        for entry in self.entries:
            if pattern.search(entry):
                line = self.parse(entry)
                if line is not None:
                    yield line, line.get("raw") or line.get("message") or entry


@dataclass(frozen=True)
class LogSource:
    """Where one component logs: its systemd unit, its own files, its syslog identifier."""

    unit: str
    files: tuple[str, ...]
    ident: str


KUBELET_LOG = LogSource("kubelet", ("/var/log/kubelet.log",), "kubelet")
CONTAINERD_LOG = LogSource("containerd", ("/var/log/containerd.log",), "containerd")


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


# -- which node-level lines matter ---------------------------------------------------------------


@dataclass(frozen=True)
class NodePattern:
    name: str
    regex: re.Pattern[str]
    min_rank: int  # lower-severity lines are not kept (a line without a level always is)
    reason: str


def _pattern(name: str, regex: str, min_rank: int, reason: str) -> NodePattern:
    return NodePattern(name, re.compile(regex), min_rank, reason)


WARN, INFO, FATAL = 1, 0, 3
NODE_PATTERNS: tuple[NodePattern, ...] = (
    _pattern("pleg", r"PLEG is not healthy", WARN,
             "the kubelet stops syncing pods; the node goes NotReady"),
    _pattern("runtime-not-ready",
             r"[Cc]ontainer runtime (?:network )?not ready|container runtime is down"
             r"|Container runtime sanity check failed", WARN,
             "runtime / network readiness the kubelet reports every few seconds"),
    _pattern("cni",
             r"cni plugin not initialized|cni config uninitialized|no network config found in"
             r"|no valid networks found in|failed to find plugin|failed to load cni"
             r"|failed to (?:setup|destroy) network for sandbox|incompatible CNI versions"
             r"|no IP addresses available", WARN,
             "CNI configuration, binaries and IPAM: pods stay in ContainerCreating"),
    _pattern("eviction", r"[Ee]viction manager:", INFO,
             "the eviction manager logs what it reclaims and evicts at info level"),
    _pattern("cgroup",
             r"cgroup driver|cgroupsPath|cgroup mountpoint does not exist"
             r"|unable to apply cgroup configuration|error setting cgroup config", WARN,
             "cgroup driver mismatch between the kubelet and runc/containerd"),
    _pattern("kubelet-start",
             r"[Ff]ailed to run [Kk]ubelet|\"command failed\"|failed to load [Kk]ubelet config"
             r"|[Rr]unning with swap on is not supported", WARN,
             "why the kubelet exits at start-up (systemd then restarts it in a loop)"),
    _pattern("runtime-service",
             r"from (?:runtime|image) service failed|validate service connection"
             r"|validate CRI v1|CRI v1 (?:runtime|image) API is not implemented"
             r"|Failed to list pod sandboxes|GenericPLEG: Unable to retrieve pods"
             r"|dial unix", WARN,
             "CRI calls failing: containerd down, socket missing, timeouts"),
    _pattern("probe", r"[Pp]robe failed|probe errored", INFO,
             "probe failures are logged at info (V(1)) by the kubelet"),
    _pattern("image-pull",
             r"PullImage|[Ff]ailed to pull image|failed to pull and unpack image"
             r"|Back-off pulling image|ErrImagePull|ImagePullBackOff", WARN,
             "image pulls failing: registry, auth, rate limits, certificates"),
    _pattern("sandbox",
             r"RunPodSandbox|CreatePodSandbox|[Ff]ailed to create sandbox for pod"
             r"|failed to get sandbox image|failed to start sandbox", WARN,
             "pod sandboxes (pause container + network) failing to start"),
    _pattern("container-start",
             r"StartContainer|CreateContainer|failed to create containerd task"
             r"|failed to create shim task|failed to start shim|OCI runtime \w+ failed"
             r"|oom_score_adj", WARN,
             "runc / shim failures wrapped by containerd and the kubelet"),
    _pattern("disk", r"no space left on device|[Ii]mage garbage collection failed", WARN,
             "a full disk breaks pulls, sandboxes and the kubelet's own state"),
    _pattern("fatal", r"", FATAL, "a fatal line is the reason the component exited"),
)  # fmt: skip


def is_node_line(line: Mapping[str, Any]) -> bool:
    rank = severity_rank(line.get("severity"))
    text = str(line.get("message", ""))
    for pattern in NODE_PATTERNS:
        if (rank is None or rank >= pattern.min_rank) and pattern.regex.search(text):
            return True
    return False


def node_lines(lines: Iterable[LogLine] | RawLog) -> list[LogLine]:
    """The newest `NODE_LINES_MAX` lines that matter at node level, oldest first.

    From a RawLog: newest first, stopping at `NODE_LINES_MAX`, and the lines that surely do not
    matter skipped unparsed (most of a tail).
    """
    if isinstance(lines, RawLog):
        kept: list[LogLine] = []
        for entry in reversed(lines.entries):
            if surely_not_node_line(entry):
                continue
            line = lines.parse(entry)
            if line is not None and is_node_line(line):
                kept.append(line)
                if len(kept) == NODE_LINES_MAX:
                    break
        return kept[::-1]
    return list(deque((line for line in lines if is_node_line(line)), maxlen=NODE_LINES_MAX))


def surely_not_node_line(entry: str) -> bool:
    """True for a line `is_node_line` would reject, told from its text alone.

    That holds for a klog or logrus-text line (the formats whose message is a substring of the
    line, and whose level sits at a fixed place) below fatal level when no node pattern of its
    level or lower matches anywhere in it. Any other line is left to the parser.
    """
    prefix = _PREFIX.match(entry)
    body = entry[prefix.end() :] if prefix else entry
    head = _KLOG.match(body) or _LOGRUS_HEAD.match(body)
    if head is None:
        return False
    rank = severity_rank(head.group("sev"))
    if rank is None or rank >= FATAL:
        return False
    return not _PATTERNS_FROM_RANK[rank].search(entry)


def assign_pod_lines(
    pods: list[dict[str, Any]],
    lines: Iterable[LogLine] | RawLog | None,
    field: str,
    terms: Mapping[str, list[str]] | None = None,
) -> None:
    """Set `pod[field]` to the newest `POD_LINES_MAX` lines that mention the pod.

    `terms` are `GatherContext.pod_terms()` (ns/name, uid, sandbox and container ids; computed
    from `pods` the same way when not given). `lines` None means the log could not be read:
    `field` is then left unset (not known), not `[]`.
    """
    if lines is None or not pods:
        return
    if terms is None:
        terms = _terms_by_pod(pods)
    owners: dict[str, list[str]] = {}
    for key, found in terms.items():
        for term in found:
            if term:
                owners.setdefault(term, []).append(key)
    kept: dict[str, deque[LogLine]] = {
        f"{pod['namespace']}/{pod['name']}": deque(maxlen=POD_LINES_MAX) for pod in pods
    }
    if owners:
        # one alternation of every term, longest first, so one scan of a line finds all pods
        any_term = re.compile("|".join(map(re.escape, sorted(owners, key=len, reverse=True))))
        if isinstance(lines, RawLog):
            candidates: Iterable[tuple[LogLine, str]] = lines.mentioning(any_term)
        else:
            candidates = ((line, line.get("raw") or line.get("message") or "") for line in lines)
        for line, text in candidates:
            hits = {key for match in any_term.finditer(text) for key in owners[match.group()]}
            for key in hits & kept.keys():
                kept[key].append(line)
    for pod in pods:
        pod[field] = list(kept[f"{pod['namespace']}/{pod['name']}"])


def _terms_by_pod(pods: list[dict[str, Any]]) -> dict[str, list[str]]:
    return GatherContext(GatherOptions(), Host(), pods=pods).pod_terms()


# -- parsing -------------------------------------------------------------------------------------

# journald/syslog prefix: "Nov 11 19:19:23 host kubelet[7321]: " (BSD, optional fraction as in
# journalctl -o short-precise, localized month names) or rsyslog's RFC 3339 timestamp.
_PREFIX = re.compile(
    r"(?:(?P<bsd>\S{3,4} [ \d]?\d \d\d:\d\d:\d\d(?:\.\d+)?)|(?P<iso>\d{4}-\d\d-\d\dT\S+))"
    r" (?P<host>\S+) (?P<ident>[^\s\[:]+)(?:\[(?P<pid>\d+)\])?: "
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
# Per severity rank below fatal: the node patterns a line of that rank can be kept for, as one
# regex (an info line, most of any log, is searched for the two info-level patterns only).
_PATTERNS_FROM_RANK = [
    re.compile(
        "|".join(p.regex.pattern for p in NODE_PATTERNS if p.regex.pattern and p.min_rank <= rank)
        or "(?!)"
    )
    for rank in range(FATAL)
]


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
            "message": body[klog.end() :],
        }
    if body.startswith("{"):
        record = _json_object(body)
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
    # The year is inferred from the reference (the file's mtime or the collection time); the
    # time is the writer's local time, whose offset the line does not say: no zone suffix.
    year = reference.year - 1 if month > reference.month else reference.year
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


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _str_or_none(value: object) -> str | None:
    return None if value is None else str(value)


# -- reading -------------------------------------------------------------------------------------


def read_log(
    ctx: GatherContext, recorder: LayerRecorder, source: LogSource
) -> list[LogLine] | None:
    """Every parsed line of the bounded tail, oldest first; None when no source could be read
    (each attempt is recorded as an error). The journal wins when it has the unit's entries."""
    raw = read_raw_log(ctx, recorder, source)
    return None if raw is None else list(raw.lines())


def read_node_log(
    ctx: GatherContext, recorder: LayerRecorder, source: LogSource
) -> tuple[RawLog | None, list[LogLine] | None]:
    """The bounded tail (read_raw_log) and its node-level lines; (None, None) when unread."""
    raw = read_raw_log(ctx, recorder, source)
    return raw, None if raw is None else node_lines(raw)


def read_raw_log(ctx: GatherContext, recorder: LayerRecorder, source: LogSource) -> RawLog | None:
    """The bounded tail as text, parsed on demand (see RawLog); None when nothing was readable."""
    journal = _read_journal(ctx, recorder, source)
    if journal is not None and journal.entries:
        return journal
    for path in source.files:
        found = _read_file(ctx, recorder, path, None)
        if found is not None:
            return found
    for path in SYSLOG_FILES:
        found = _read_file(ctx, recorder, path, source.ident)
        if found is not None:
            return found
    if journal is not None:
        return journal  # the journal was read and has nothing for the unit: looked, found none
    tried = ", ".join((*source.files, *SYSLOG_FILES))
    recorder.error(f"{source.unit} log", f"no journal and none of {tried} exists")
    return None


def _read_file(
    ctx: GatherContext, recorder: LayerRecorder, path: str, ident: str | None
) -> RawLog | None:
    if not ctx.host.exists(path):
        return None
    with recorder.reading(path):
        reference = datetime.fromtimestamp(os.stat(ctx.host.path(path)).st_mtime)
        tail = ctx.host.read_tail(path, ctx.options.log_bytes)
        if tail.skipped:
            log.debug("%s: read the last %d of %d bytes", path, len(tail.data), tail.size)
        # In a shared syslog file, only the program's own lines are worth keeping.
        entries = [raw for raw in _lines(tail.data) if ident is None or ident in raw]

        def parse(raw: str) -> LogLine | None:
            return parse_line(raw, reference, ident)

        return RawLog(entries, parse)
    return None


def _lines(data: bytes) -> Iterator[str]:
    for raw in io.BytesIO(data):
        if raw.strip():
            yield raw.decode("utf-8", errors="replace")


def journal_directory(ctx: GatherContext) -> str | None:
    """The host's journal directory when it is readable here; "" for this machine's own."""
    if ctx.host.root == ctx.host.root.parent:  # host root "/": journalctl's defaults
        return "" if any(_readable_dir(ctx, d) for d in JOURNAL_DIRS) else None
    for directory in JOURNAL_DIRS:
        if _readable_dir(ctx, directory):
            return str(ctx.host.path(directory))
    return None


def _readable_dir(ctx: GatherContext, directory: str) -> bool:
    local = ctx.host.path(directory)
    try:
        return local.is_dir() and os.access(local, os.R_OK | os.X_OK) and any(os.scandir(local))
    except OSError:
        return False


def _read_journal(ctx: GatherContext, recorder: LayerRecorder, source: LogSource) -> RawLog | None:
    journalctl = shutil.which("journalctl")
    directory = journal_directory(ctx)
    if journalctl is None or directory is None:
        return None
    entries = max(100, ctx.options.log_bytes // JOURNAL_BYTES_PER_ENTRY)
    command = [journalctl, "--no-pager", "-o", "json", f"--output-fields={JOURNAL_FIELDS}"]
    command += [f"--directory={directory}"] if directory else []
    command += ["-u", source.unit, "-n", str(entries)]
    name = f"journalctl -u {source.unit}"
    reference = datetime.now()

    def parse(text: str) -> LogLine | None:
        record = _json_object(text)
        return parse_journal_record(record, reference) if record else None

    records: deque[str] = deque()
    kept_bytes = 0
    try:
        for record_text in _stream(command, ctx.options.timeout):
            records.append(record_text)
            kept_bytes += len(record_text)
            while kept_bytes > ctx.options.log_bytes and records:  # the byte bound, newest kept
                kept_bytes -= len(records.popleft())
    except (OSError, JournalError) as exc:
        recorder.error(name, str(exc))
        return None
    return RawLog(list(records), parse)


class JournalError(Exception):
    """journalctl failed or timed out."""


def _stream(command: list[str], timeout: float) -> Iterator[str]:
    """The lines of a read-only command's output as they come; killed after `timeout`."""
    process = subprocess.Popen(  # a fixed, read-only command
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "SYSTEMD_PAGER": "", "LC_ALL": "C"},
    )
    timer = threading.Timer(timeout, process.kill)
    timer.start()
    try:
        assert process.stdout is not None
        for raw in process.stdout:
            yield raw.decode("utf-8", errors="replace")
        stderr = process.stderr.read(4096) if process.stderr else b""
        code = process.wait()
    finally:
        timer.cancel()
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream:
                stream.close()
    if code < 0:
        raise JournalError(f"timed out after {timeout:g}s")
    if code != 0:
        raise JournalError(stderr.decode("utf-8", "replace").strip() or f"exit status {code}")


def unit_active_state(ctx: GatherContext, recorder: LayerRecorder, unit: str) -> str | None:
    """`systemctl is-active UNIT` (read-only), only when this view's systemd is the host's:
    the host root is "/" and systemd runs as PID 1 (/run/systemd/system exists)."""
    if ctx.host.root != ctx.host.root.parent or not ctx.host.exists("/run/systemd/system"):
        return None
    systemctl = shutil.which("systemctl")
    if systemctl is None:
        return None
    try:
        result = subprocess.run(  # a fixed, read-only query
            [systemctl, "is-active", unit],
            capture_output=True,
            timeout=ctx.options.timeout,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        recorder.error(f"systemctl is-active {unit}", str(exc))
        return None
    state = result.stdout.decode("utf-8", "replace").strip()
    return state or None
