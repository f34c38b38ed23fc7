"""Where the kubelet's, containerd's and the node's other agents' logs come from, read as a
bounded tail of text.

The systemd journal when journalctl exists and the host's journal is readable, otherwise a
dedicated file (/var/log/kubelet.log...) or the shared syslog files filtered by the program's
identifier. Only the last `GatherOptions.log_bytes` are ever read (`Host.read_tail`;
`journalctl -n`); the tail is kept as text and parsed on demand (`RawLog`).
"""

from __future__ import annotations

import io
import logging
import os
import re
import shutil
import subprocess
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from doctor.gather.context import GatherContext, LayerRecorder
from doctor.gather.logs import daemons
from doctor.gather.logs.daemons import Writer
from doctor.gather.logs.formats import (
    LogLine,
    json_object,
    parse_journal_record,
    parse_line,
    syslog_prefix,
)

log = logging.getLogger(__name__)

SYSLOG_FILES = ("/var/log/syslog", "/var/log/messages")  # Debian/Ubuntu, RHEL/SUSE
JOURNAL_DIRS = ("/var/log/journal", "/run/log/journal")  # persistent, volatile
JOURNAL_BYTES_PER_ENTRY = 256  # `journalctl -n` bound: about log_bytes worth of entries
JOURNAL_FIELDS = "MESSAGE,__REALTIME_TIMESTAMP,PRIORITY,SYSLOG_IDENTIFIER,_PID"


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
    """Where one component logs, on any distribution (daemons.py): the systemd units whose
    journal may hold its lines, its own files, the syslog identifiers of its lines, and the log
    its lines belong in (a bundling daemon's other lines are not its)."""

    unit: str  # the upstream unit, naming the log in errors
    files: tuple[str, ...]
    writer: Writer
    units: tuple[str, ...] = ()
    idents: tuple[str, ...] = ()
    # a component that may not run as a host service at all (kube-proxy is usually a pod):
    # finding none of its sources is no error, its log is just not known
    optional: bool = False

    @classmethod
    def of(
        cls, writer: Writer, name: str, skip: tuple[str, ...] = (), optional: bool = False
    ) -> LogSource:
        units = tuple(u for u in daemons.units_of(writer) if u not in skip)
        idents = tuple(i for i in daemons.identifiers_of(writer) if i not in skip)
        return cls(name, daemons.FILES[writer], writer, units, idents, optional)

    def owns(self, ident: str | None, body: str) -> bool:
        """Whether a line of program `ident` (None: not said) with text `body` is this log's.

        journald's lines of systemd itself about a unit read (`-u` selects them) stay with it.
        """
        if ident is None or ident in ("systemd", "init"):
            return True
        return daemons.writer(ident, body) is self.writer


KUBELET_LOG = LogSource.of(Writer.KUBELET, "kubelet")
# dockerd is read only when pasted: most machines that run it also run containerd under it, and
# its lines (docker builds, docker's own containers) are not the CRI runtime's.
CONTAINERD_LOG = LogSource.of(Writer.RUNTIME, "containerd", skip=("dockerd", "docker"))
# The node's other agents run as host services (kube-proxy.service, flanneld.service...): on
# most nodes they run in pods instead, and their journal then holds nothing.
AGENTS_LOG = LogSource.of(Writer.AGENTS, "kube-proxy", optional=True)


def read_log(
    ctx: GatherContext, recorder: LayerRecorder, source: LogSource
) -> list[LogLine] | None:
    """Every parsed line of the bounded tail, oldest first; None when no source could be read
    (each attempt is recorded as an error). The journal wins when it has the unit's entries."""
    raw = read_raw_log(ctx, recorder, source)
    return None if raw is None else list(raw.lines())


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
        found = _read_file(ctx, recorder, path, source)
        if found is not None:
            return found
    if journal is not None:
        return journal  # the journal was read and has nothing for the unit: looked, found none
    if source.optional:
        return None
    tried = ", ".join((*source.files, *SYSLOG_FILES))
    recorder.error(f"{source.unit} log", f"no journal and none of {tried} exists")
    return None


def _read_file(
    ctx: GatherContext, recorder: LayerRecorder, path: str, shared_by: LogSource | None
) -> RawLog | None:
    """A dedicated log file, or (`shared_by`) a syslog file several programs write, whose
    lines are kept when they are that source's."""
    if not ctx.host.exists(path):
        return None
    with recorder.reading(path):
        reference = datetime.fromtimestamp(os.stat(ctx.host.path(path)).st_mtime)
        tail = ctx.host.read_tail(path, ctx.options.log_bytes)
        if tail.skipped:
            log.debug("%s: read the last %d of %d bytes", path, len(tail.data), tail.size)
        if shared_by is None:
            return RawLog(list(_lines(tail.data)), lambda raw: parse_line(raw, reference))
        source = shared_by
        # In a shared syslog file, only the program's own lines are worth keeping: a cheap
        # substring test first, the identifier and format (daemons.py) when parsed.
        entries = [raw for raw in _lines(tail.data) if any(i in raw for i in source.idents)]

        def parse(raw: str) -> LogLine | None:
            prefix = syslog_prefix(raw)
            if prefix is None or daemons.writer(*prefix) is not source.writer:
                return None
            return parse_line(raw, reference)

        return RawLog(entries, parse)
    return None


def _lines(data: bytes) -> Iterator[str]:
    """The non-blank lines; a klog line with a multi-line value (`key=<`, tab-indented lines,
    ` >`: formats.quote_klog_lines) is one entry, as klog wrote it in one write."""
    entry, value_open = "", False
    for raw in io.BytesIO(data):
        text = raw.decode("utf-8", errors="replace")
        if value_open and text.startswith(("\t", " >")):
            entry += text
        else:
            if entry.strip():
                yield entry
            entry = text
        # still open after a value line, or when this line (or the ` >` closing one) opens one
        value_open = text.startswith("\t") if value_open else False
        value_open = value_open or text.rstrip("\r\n").endswith("=<")
    if entry.strip():
        yield entry


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
    for unit in source.units or (source.unit,):  # journalctl ORs several -u
        command += ["-u", unit]
    command += ["-n", str(entries)]
    name = f"journalctl -u {source.unit}"
    reference = datetime.now()

    def parse(text: str) -> LogLine | None:
        record = json_object(text)
        if record is None:
            return None
        ident, message = record.get("SYSLOG_IDENTIFIER"), record.get("MESSAGE")
        owned = source.owns(
            ident if isinstance(ident, str) else None, message if isinstance(message, str) else ""
        )
        return parse_journal_record(record, reference) if owned else None

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
