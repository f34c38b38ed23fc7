"""Each segment of a paste, by its kind, to where its facts come from: kubectl output to the
apiserver readers, daemon and kernel lines to their logs, a container's output to its
container, df tables to the node's disks. What cannot be placed is noted, never dropped.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from doctor.apiserver.describe import looks_like_describe
from doctor.apiserver.describe_node import looks_like_describe_node
from doctor.apiserver.events_json import is_event
from doctor.apiserver.node_json import is_node
from doctor.apiserver.pod_json import is_pod
from doctor.gather.logs.daemons import Writer
from doctor.paste import (
    events,
    kinds,
    kubeadm,
    kubectl_errors,
    logs,
    nodelines,
    proc_cgroup,
    runtime,
    states,
    status_message,
    units,
)
from doctor.paste.container import LogsCommand, logs_command
from doctor.paste.cri_client import (
    CriFailure,
    client_fragment,
    command_endpoint,
    crictl_failure,
)
from doctor.paste.kinds import (
    Kind,
    bare_entry,
    fragment_kind,
    line_kind,
    recognise,
    start_error,
)
from doctor.paste.segment import Segment, split
from doctor.paste.text import PastedText
from doctor.paste.wrapped import unwrap

_BARE_WRITERS = {
    "kubelet": Writer.KUBELET,
    "runtime": Writer.RUNTIME,
    "kernel": Writer.KERNEL,
    "agents": Writer.AGENTS,
}


@dataclass(frozen=True)
class ContainerLog:
    command: LogsCommand
    lines: tuple[str, ...]
    where: str


@dataclass(frozen=True)
class StartError:
    """The runtime's refusal to start a container: what it records as the container's
    message."""

    message: str
    where: str


@dataclass(frozen=True)
class DescribedState:
    """A container's State / Last State block cut from describe: the attempts it tells."""

    attempts: tuple[dict[str, Any], ...]
    where: str


@dataclass(frozen=True)
class StatusMessage:
    """A container's status message and the state it tells (status_message.py)."""

    message: str
    state: dict[str, Any]
    where: str


@dataclass
class Pasted:
    """Everything the pasted files hold, sorted by where it goes."""

    kubectl: dict[str, bytes] = field(default_factory=dict)  # describe, JSON: read first
    tables: dict[str, bytes] = field(default_factory=dict)  # events tables: after the pods
    logs: logs.Placed = field(default_factory=logs.Placed)
    container_logs: list[ContainerLog] = field(default_factory=list)
    start_errors: list[StartError] = field(default_factory=list)
    described_states: list[DescribedState] = field(default_factory=list)
    status_messages: list[StatusMessage] = field(default_factory=list)
    df_tables: list[tuple[str, ...]] = field(default_factory=list)
    units: list[units.UnitState] = field(default_factory=list)  # from `systemctl status`
    runtime: runtime.Found = field(default_factory=runtime.Found)  # crictl, docker inspect
    events: list[events.PastedEvent] = field(default_factory=list)  # without their table
    limits: dict[str, Any] = field(default_factory=dict)  # the node's, from sysctl
    node_conditions: list[dict[str, Any]] = field(default_factory=list)  # from Taints
    cri_client: list[CriFailure] = field(default_factory=list)  # crictl's, kubeadm's errors
    healthz: str | None = None  # kubeadm's [kubelet-check]
    forwarding: dict[str, Any] = field(default_factory=dict)  # kubeadm's FileContent checks
    container_states: list[kubectl_errors.ContainerState] = field(default_factory=list)
    process_cgroups: list[proc_cgroup.ProcessCgroup] = field(default_factory=list)
    pod_runtime_lines: list[tuple[kubectl_errors.Target, str]] = field(default_factory=list)
    read: list[str] = field(default_factory=list)  # "where: kind" of every segment placed
    unplaced: list[str] = field(default_factory=list)

    def kubectl_files(self) -> dict[str, bytes]:
        return self.kubectl | self.tables

    def __bool__(self) -> bool:
        return bool(self.read or self.unplaced)


def place_texts(texts: Sequence[PastedText]) -> Pasted:
    pasted = Pasted()
    for text in texts:
        if text.cut_lines:
            more = "..." if len(text.cut_lines) > 5 else ""
            shown = ", ".join(map(str, text.cut_lines[:5])) + more
            pasted.unplaced.append(f"{text.name}: line {shown} cut: longer than the line limit")
        segments = split(text.text, text.name)
        if not segments:
            pasted.unplaced.append(f"{text.name}: no text")
        for segment in segments:
            used = command_endpoint(segment.command) if segment.command else None
            if used is not None and used not in pasted.cri_client:
                pasted.cri_client.append(used)  # before what the client printed: it used it
            kind = recognise(segment.shape())
            PLACERS[kind](segment, kind, pasted)
    found = (crictl_failure(line) for line in pasted.logs.crictl)
    pasted.cri_client += [failure for failure in found if failure is not None]
    others = pasted.logs.others
    if others:
        named = ", ".join(f"{ident} ({count})" for ident, count in sorted(others.items()))
        pasted.unplaced.append(f"lines of programs no layer reads: {named}")
    return pasted


def _read(pasted: Pasted, segment: Segment, kind: Kind) -> None:
    pasted.read.append(f"{segment.where}: {kind.value}")


def _not_read(segment: Segment, kind: Kind, pasted: Pasted, why: str) -> None:
    first = segment.lines[0].strip()
    shown = first if len(first) <= 60 else first[:57] + "..."
    pasted.unplaced.append(f"{segment.where}: {kind.value} ({shown!r}): {why}")


def _describe(segment: Segment, kind: Kind, pasted: Pasted) -> None:
    text = "\n".join(segment.lines)
    if looks_like_describe_node(text):
        kind = Kind.DESCRIBE_NODE
    elif not looks_like_describe(text):
        _not_read(segment, kind, pasted, "neither a pod's nor a node's")
        return
    pasted.kubectl[segment.where] = text.encode()
    _read(pasted, segment, kind)


def _events(segment: Segment, kind: Kind, pasted: Pasted) -> None:
    pasted.tables[segment.where] = "\n".join(segment.lines).encode()
    _read(pasted, segment, kind)


def _json(segment: Segment, kind: Kind, pasted: Pasted) -> None:
    text = "\n".join(segment.lines)
    document = json.loads(text)  # segment.split kept only documents that parse
    items = document.get("items") if isinstance(document, dict) else document
    items = items if isinstance(items, list) else [document]
    if items and all(is_pod(i) or is_event(i) or is_node(i) for i in items):
        pasted.kubectl[segment.where] = text.encode()
        _read(pasted, segment, Kind.KUBECTL_JSON)
        return
    if items and all(runtime.is_cri_status(i) for i in items):
        for item in items:
            runtime.cri_status(item, pasted.runtime)
        _read(pasted, segment, Kind.CRI_INSPECT)
        return
    if _application_record(document) and len(segment.lines) == 1:
        # an application's own JSON log line, not the runtime's (logrus writes `time`)
        _container_log(segment, Kind.CONTAINER_LOG, pasted)
        return
    if items and all(runtime.is_docker_inspect(i) for i in items):
        owned = [runtime.docker_inspect(item, pasted.runtime) for item in items]
        _read(pasted, segment, Kind.DOCKER_INSPECT)
        if not all(owned):
            _not_read(segment, Kind.DOCKER_INSPECT, pasted, "a container no pod owns")
        return
    _not_read(segment, Kind.JSON, pasted, "not recognised")


def _log(segment: Segment, kind: Kind, pasted: Pasted) -> None:
    logs.place(kind, segment.lines, pasted.logs)
    _read(pasted, segment, kind)


def _container_log(segment: Segment, kind: Kind, pasted: Pasted) -> None:
    command = logs_command(segment.command)
    pasted.container_logs.append(ContainerLog(command, segment.lines, segment.where))
    _read(pasted, segment, kind)


def _container_state(segment: Segment, kind: Kind, pasted: Pasted) -> None:
    found = states.attempts(segment.lines)
    if not found:
        _not_read(segment, kind, pasted, "no state it tells")
        return
    pasted.described_states.append(DescribedState(tuple(found), segment.where))
    _read(pasted, segment, kind)


def _starts_a_line(line: str) -> bool:
    """A line in a known format: the start of its own line, never a wrapped line's rest."""
    return line_kind(line) is not None


def _start_error(segment: Segment, kind: Kind, pasted: Pasted) -> None:
    """The last start error of the segment (a retried `docker run` prints one per try), the
    lines describe or a terminal wrapped it into joined again."""
    lines = [line for _, line in unwrap(segment.lines, start_error, _starts_a_line)]
    message = next(line.strip() for line in reversed(lines) if start_error(line))
    pasted.start_errors.append(StartError(message, segment.where))
    _read(pasted, segment, kind)


def _status_message(segment: Segment, kind: Kind, pasted: Pasted) -> None:
    """The segment's last status message that tells a state; its other lines noted."""
    found = [(i, status_message.pull_failure(line)) for i, line in enumerate(segment.lines)]
    told = [(i, message) for i, message in found if message is not None]
    index, message = told[-1]
    state = status_message.WAITING_ON_PULL
    pasted.status_messages.append(StatusMessage(message, state, segment.where))
    _read(pasted, segment, kind)
    rest = [segment.first + i for i, line in enumerate(segment.lines) if line.strip()]
    rest = [number for number in rest if number != segment.first + index]
    if rest:
        pasted.unplaced.append(f"{segment.source}:{_spans(rest)}: not recognised")


def _application_record(document: object) -> bool:
    return (
        isinstance(document, dict)
        and "level" in document
        and ("msg" in document or "message" in document)
        and "time" not in document
    )


def _fragments(segment: Segment, kind: Kind, pasted: Pasted) -> None:
    """Lines read out of the output they came from, a line the user's terminal or editor wrapped
    joined again (wrapped.py): each recognisable one placed alone (a daemon's line in its log, a
    sysctl value in the node's limits, a Taints line in its conditions), the others read as
    events (events.py), the rest noted."""
    unknown: list[int] = []
    found: dict[Kind, None] = {}
    rest: list[tuple[int, str]] = []  # for events.read
    for index, line in unwrap(
        segment.lines,
        lambda line: fragment_kind(line, segment.command) is not None,
        _starts_a_line,
    ):
        own = fragment_kind(line, segment.command)
        if own is None or own is Kind.EVENT_LINES:
            rest.append((segment.first + index, line))
            continue
        entry = bare_entry(line) if own is Kind.FRAGMENTS else None
        dialed = client_fragment(line) if own is Kind.FRAGMENTS else None
        if dialed is not None:
            pasted.cri_client.append(dialed)  # a client's view of the runtime, not a log
        elif entry is not None:
            writer, text = entry
            pasted.logs.entries[_BARE_WRITERS[writer]].append(text)
        elif own is Kind.SYSCTL:
            pasted.limits |= nodelines.sysctl_limit(line, segment.command) or {}
        elif own is Kind.TAINTS:
            pasted.node_conditions += nodelines.taint_conditions(line) or []
        found[own] = None
    read = events.read([line for _, line in rest])
    if read.events:
        pasted.events += read.events
        found[Kind.EVENT_LINES] = None
    unknown += [rest[index][0] for index in read.unread]
    for own in found or (kind,):
        _read(pasted, segment, own)
    if unknown:
        spans = _spans(sorted(unknown))
        pasted.unplaced.append(f"{segment.source}:{spans}: not recognised")


def _df(segment: Segment, kind: Kind, pasted: Pasted) -> None:
    lines = segment.lines
    if not kinds.DF_HEADER.match(lines[0]):
        lines = (_df_header(segment.command or ""), *lines)
    pasted.df_tables.append(lines)
    _read(pasted, segment, kind)


def _df_header(command: str) -> str:
    """The header df prints for `command`'s options, for its rows pasted without it: the
    columns are fixed by -i (inodes) and -T (a Type column)."""
    flags = "".join(w[1:] for w in command.split() if w.startswith("-") and not w.startswith("--"))
    inodes = "i" in flags or "--inodes" in command
    typed = "T" in flags or "--print-type" in command
    figures = "Inodes IUsed IFree IUse%" if inodes else "1K-blocks Used Available Use%"
    return f"Filesystem {'Type ' if typed else ''}{figures} Mounted on"


def _unit_status(segment: Segment, kind: Kind, pasted: Pasted) -> None:
    state = units.status_state(segment.lines)
    if state is None:
        _not_read(segment, kind, pasted, "a unit no layer's process runs")
        return
    pasted.units.append(state)
    _read(pasted, segment, kind)


def _crictl_ps(segment: Segment, kind: Kind, pasted: Pasted) -> None:
    runtime.ps_table(segment.lines, pasted.runtime)
    _read(pasted, segment, kind)


def _crictl_pods(segment: Segment, kind: Kind, pasted: Pasted) -> None:
    runtime.pods_table(segment.lines, pasted.runtime)
    _read(pasted, segment, kind)


def _kubeadm(segment: Segment, kind: Kind, pasted: Pasted) -> None:
    found = kubeadm.read(segment.lines)
    pasted.cri_client += found.cri
    if found.healthz is not None:
        pasted.healthz = found.healthz
    pasted.forwarding |= found.forwarding
    pasted.logs.entries[Writer.KUBELET] += found.kubelet_lines
    pasted.logs.entries[Writer.RUNTIME] += found.runtime_lines
    _read(pasted, segment, kind)
    for index, check in found.checks:
        where = f"{segment.source}:{segment.first + index}"
        pasted.unplaced.append(f"{where}: kubeadm's check {check}: no fact holds it")


def _kubectl_error(segment: Segment, kind: Kind, pasted: Pasted) -> None:
    """Each error line where it tells (kubectl_errors.py); the other lines as fragments are."""
    command = kubectl_errors.target(segment.command)
    unknown: list[int] = []
    for number, line in enumerate(segment.lines, segment.first):
        text = line.strip()
        state = kubectl_errors.container_state(text, command.namespace)
        if state is not None:
            pasted.container_states.append(state)
        elif kubectl_errors.EXEC_FAILED.search(text):
            pasted.logs.entries[Writer.RUNTIME].append(text)
            if command.pod is not None:
                pasted.pod_runtime_lines.append((command, text))
        elif kubectl_errors.is_error(text):
            why = kubectl_errors.unplaced_reason(text)
            pasted.unplaced.append(f"{segment.source}:{number}: {why}")
        elif (entry := bare_entry(text)) is not None:
            writer, body = entry  # as _fragments: `ident[pid]:` is not part of the log line
            pasted.logs.entries[_BARE_WRITERS[writer]].append(body)
        elif text:
            unknown.append(number)
    _read(pasted, segment, kind)
    if unknown:
        pasted.unplaced.append(f"{segment.source}:{_spans(unknown)}: not recognised")


def _proc_cgroup(segment: Segment, kind: Kind, pasted: Pasted) -> None:
    """A container's process's cgroup (its pod and id from the path); a host process's is no
    container's, and no fact holds it."""
    found = proc_cgroup.read(segment.lines)
    if found.pod_uid is None and found.container_id is None:
        _not_read(segment, kind, pasted, f"{found.path}: a host process's cgroup, no container's")
        return
    pasted.process_cgroups.append(found)
    _read(pasted, segment, kind)


def _unknown(segment: Segment, kind: Kind, pasted: Pasted) -> None:
    if segment.command is not None:
        why = f"the output of `{segment.command}`: no fact holds it"
        _not_read(segment, kind, pasted, why)
        return
    _not_read(segment, kind, pasted, "not recognised")


def _spans(numbers: list[int]) -> str:
    """1,2,3,7 -> "1-3,7"."""
    spans: list[str] = []
    start = previous = numbers[0]
    for number in [*numbers[1:], None]:
        if number is not None and number == previous + 1:
            previous = number
            continue
        spans.append(str(start) if start == previous else f"{start}-{previous}")
        if number is not None:
            start = previous = number
    return ",".join(spans)


Placer = Callable[[Segment, Kind, Pasted], None]
PLACERS: dict[Kind, Placer] = {
    Kind.DESCRIBE: _describe,
    Kind.EVENTS: _events,
    Kind.JSON: _json,
    Kind.JOURNAL: _log,
    Kind.JOURNAL_JSON: _log,
    Kind.KLOG: _log,
    Kind.LOGRUS: _log,
    Kind.DMESG: _log,
    Kind.CONTAINER_LOG: _container_log,
    Kind.CONTAINER_STATE: _container_state,
    Kind.START_ERROR: _start_error,
    Kind.STATUS_MESSAGE: _status_message,
    Kind.FRAGMENTS: _fragments,
    Kind.DF: _df,
    Kind.CRICTL_PS: _crictl_ps,
    Kind.CRICTL_PODS: _crictl_pods,
    Kind.SYSTEMCTL_STATUS: _unit_status,
    Kind.KUBEADM: _kubeadm,
    Kind.KUBECTL_ERROR: _kubectl_error,
    Kind.PROC_CGROUP: _proc_cgroup,
    Kind.UNKNOWN: _unknown,
}
