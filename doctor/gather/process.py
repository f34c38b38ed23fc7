"""The container processes as the kernel sees them: /proc/<pid>, their cgroup, their log.

Enriches the containers in ctx.pods (the CRI gatherer's). For each running container with a
pid: whether /proc/<pid> exists, its state, parent, argv and oom_score_adj, the namespaces it
shares with the host, and its cgroup (cpu.stat sampled twice over the sample interval, memory,
pids). For every container with a log file: the newest lines of its CRI log.

Reads ctx.handoff's `runc_cgroup_paths` ({container id: runc's cgroup_paths}, from the runc
gatherer) and `cri.cgroups_paths` ({container id: the runtime spec's linux.cgroupsPath}, from
the CRI gatherer when it has the spec) to find a cgroup that /proc/<pid>/cgroup cannot give.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from doctor.gather.cgroups import (
    CgroupDirs,
    CgroupRead,
    add_cpu_sample,
    cgroup_version,
    dirs_from_cgroups_path,
    dirs_from_proc,
    dirs_from_runc,
    read_cgroup,
)
from doctor.gather.context import GatherContext, LayerRecorder
from doctor.gather.host import Host
from doctor.layers import Layer, LayerStatus

log = logging.getLogger(__name__)

NAMESPACES = ("cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts")
LOG_TAIL_LINES = 50
LOG_TAIL_BYTES = 256 << 10  # enough for 50 lines of ordinary output, bounded for huge lines


@dataclass(frozen=True)
class ProcStat:
    """The fields of /proc/<pid>/stat stackdoctor needs."""

    pid: int
    comm: str
    state: str
    ppid: int
    start_time: int  # clock ticks since boot: runc's init_process_start


def read_stat(host: Host, pid: int) -> ProcStat:
    """Parse /proc/<pid>/stat; raises OSError (gone, unreadable) or ValueError (malformed)."""
    text = host.read_text(f"/proc/{pid}/stat", 4096)
    # comm may itself hold spaces and parentheses: it ends at the last ")".
    head, _, tail = text.rpartition(")")
    comm = head.partition("(")[2]
    fields = tail.split()
    if len(fields) < 20:
        raise ValueError(f"/proc/{pid}/stat: {len(fields)} fields after comm")
    return ProcStat(pid, comm, fields[0], int(fields[1]), int(fields[19]))


def gather(ctx: GatherContext) -> dict[str, Any]:
    recorder = LayerRecorder(Layer.PROCESS)
    if not ctx.host.path("/proc").is_dir():
        # Nothing to look at is not "looked and found nothing wrong".
        recorder.fail(LayerStatus.ABSENT, "/proc", "no /proc under the host root")
        return recorder.section()
    version = cgroup_version(ctx.host)

    host_ns: dict[str, str] | None = None
    sampled: list[tuple[CgroupDirs, CgroupRead]] = []
    for pod in ctx.pods:
        label = f"{pod['namespace']}/{pod['name']}"
        for container in pod.get("containers", []):
            where = f"{label} {container.get('name')}"
            pid = container.get("pid")
            if container.get("state") == "CONTAINER_RUNNING" and isinstance(pid, int) and pid > 0:
                if host_ns is None:  # read once, and only when a container needs it
                    host_ns = _host_namespaces(ctx.host, recorder)
                _examine_process(ctx.host, recorder, container, pid, host_ns or None, where)
                found = _examine_cgroup(ctx, recorder, container, pid, version, where)
                if found:
                    sampled.append(found)
            if container.get("log_path"):
                _read_log_tail(ctx.host, recorder, container, where)
    if sampled and ctx.options.sample_interval > 0:
        time.sleep(ctx.options.sample_interval)  # one window for every container together
        for dirs, read in sampled:
            add_cpu_sample(ctx.host, dirs, read)
    return recorder.section()


def _report(recorder: LayerRecorder, source: str, exc: OSError) -> None:
    """Permission problems mean the layer could not be examined; the rest are plain errors."""
    message = exc.strerror or str(exc)
    if exc.errno in (errno.EACCES, errno.EPERM):
        recorder.fail(LayerStatus.PERMISSION_DENIED, source, message)
    else:
        recorder.error(source, message)


def _host_namespaces(host: Host, recorder: LayerRecorder) -> dict[str, str]:
    """The host's namespaces (pid 1's); {} when unreadable, which only costs the comparison."""
    try:
        return _namespaces(host, 1)
    except OSError as exc:
        recorder.error("/proc/1/ns", exc.strerror or str(exc))
        return {}


def _namespaces(host: Host, pid: int) -> dict[str, str]:
    """Namespace link targets (`net:[4026531840]`) by name; raises when none can be read."""
    found: dict[str, str] = {}
    first_error: OSError | None = None
    for name in NAMESPACES:
        try:
            found[name] = os.readlink(host.path(f"/proc/{pid}/ns/{name}"))
        except FileNotFoundError:
            continue  # an older kernel without this namespace type
        except OSError as exc:
            first_error = first_error or exc
    if not found and first_error is not None:
        raise first_error
    return found


def _examine_process(
    host: Host,
    recorder: LayerRecorder,
    container: dict[str, Any],
    pid: int,
    host_ns: dict[str, str] | None,
    where: str,
) -> None:
    source = f"/proc/{pid}/status ({where})"
    try:
        status = _parse_status(host.read_text(f"/proc/{pid}/status", 64 << 10))
    except FileNotFoundError:
        container["process"] = {"exists": False}
        return
    except OSError as exc:
        _report(recorder, source, exc)
        return
    process: dict[str, Any] = {
        "exists": True,
        "state": status.get("State", "").split(" ")[0] or None,
        "ppid": _int(status.get("PPid")),
        "cmdline": None,
        "oom_score_adj": None,
    }
    try:
        raw = host.read_bytes(f"/proc/{pid}/cmdline", 1 << 20)
        process["cmdline"] = [part.decode("utf-8", "replace") for part in raw.split(b"\0") if part]
    except OSError as exc:
        _report(recorder, f"/proc/{pid}/cmdline ({where})", exc)
    try:
        process["oom_score_adj"] = _int(host.read_text(f"/proc/{pid}/oom_score_adj", 64))
    except OSError as exc:
        _report(recorder, f"/proc/{pid}/oom_score_adj ({where})", exc)
    container["process"] = process
    if host_ns is None:
        return
    try:
        mine = _namespaces(host, pid)
    except OSError as exc:
        _report(recorder, f"/proc/{pid}/ns ({where})", exc)
        return
    container["namespaces_shared_with_host"] = sorted(
        name for name, target in mine.items() if host_ns.get(name) == target
    )


def _parse_status(text: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields


def _int(text: str | None) -> int | None:
    value = (text or "").strip()
    return int(value) if value.lstrip("-").isdigit() else None


def _cgroup_dirs(
    ctx: GatherContext, container: dict[str, Any], pid: int, version: int
) -> CgroupDirs | OSError | None:
    """The kernel's answer first; runc's record and the spec's cgroupsPath when it fails (the
    process is gone, or a private cgroup namespace hides the real path as /../..). None when
    nothing is known; the OSError met reading /proc/<pid>/cgroup when that is all there is."""
    error: OSError | None = None
    try:
        dirs = dirs_from_proc(ctx.host, pid, version)
        if not dirs.path.startswith("/.."):
            return dirs
    except OSError as exc:
        error = exc
    cid = container.get("id") or ""
    runc_paths = ctx.handoff.runc_cgroup_paths.get(cid)
    if runc_paths is not None:
        from_runc = dirs_from_runc(runc_paths, version)
        if from_runc is not None:
            return from_runc
    spec_path = ctx.handoff.cri.cgroups_paths.get(cid)
    if spec_path:
        return dirs_from_cgroups_path(spec_path, version)
    return error


def _examine_cgroup(
    ctx: GatherContext,
    recorder: LayerRecorder,
    container: dict[str, Any],
    pid: int,
    version: int | None,
    where: str,
) -> tuple[CgroupDirs, CgroupRead] | None:
    source = f"/proc/{pid}/cgroup ({where})"
    if version is None:
        recorder.error(source, "no cgroup v1 or v2 hierarchy under /sys/fs/cgroup")
        return None
    dirs = _cgroup_dirs(ctx, container, pid, version)
    if dirs is None:
        recorder.error(source, "the cgroup is outside this cgroup namespace and not recorded")
        return None
    if isinstance(dirs, OSError):
        if not isinstance(dirs, FileNotFoundError):  # gone: the process facts say so
            _report(recorder, source, dirs)
        return None
    read = read_cgroup(ctx.host, dirs)
    for path, exc in read.errors:
        _report(recorder, f"{path} ({where})", exc)
    container["cgroup"] = read.facts
    return dirs, read


def _read_log_tail(
    host: Host, recorder: LayerRecorder, container: dict[str, Any], where: str
) -> None:
    path = str(container["log_path"])
    if not path.startswith("/"):
        recorder.error(f"{path} ({where})", "log path is not absolute")
        return
    try:
        tail = host.read_tail(path, LOG_TAIL_BYTES)
    except OSError as exc:
        recorder.error(f"{path} ({where})", exc.strerror or str(exc))
        return
    container["log_tail"] = parse_cri_log(tail.data.decode("utf-8", "replace"), LOG_TAIL_LINES)


def parse_cri_log(text: str, keep: int) -> list[str]:
    """The newest `keep` messages of a CRI log (`<RFC3339Nano> <stream> <P|F> <message>`).

    Partial (P) lines are joined, per stream, with the full (F) line that ends them. Lines in
    another format (docker's json-file) give their `log` text, or stay as they are.
    """
    messages: deque[str] = deque(maxlen=keep)
    partial: dict[str, str] = {}
    for line in text.splitlines():
        parsed = _parse_cri_line(line)
        if parsed is None:
            messages.append(_foreign_line(line))
            continue
        stream, tag, message = parsed
        if tag == "P":
            partial[stream] = partial.get(stream, "") + message
            continue
        messages.append(partial.pop(stream, "") + message)
    messages.extend(partial.values())  # a partial line still being written
    return list(messages)


def _parse_cri_line(line: str) -> tuple[str, str, str] | None:
    parts = line.split(" ", 3)
    if len(parts) < 3 or parts[1] not in ("stdout", "stderr") or not parts[0][:1].isdigit():
        return None
    tag = parts[2].split(":")[0]
    if tag not in ("P", "F"):
        return None
    return parts[1], tag, parts[3] if len(parts) == 4 else ""


def _foreign_line(line: str) -> str:
    if line.startswith("{"):
        try:
            data = json.loads(line)
        except ValueError:
            return line
        if isinstance(data, dict) and isinstance(data.get("log"), str):
            return str(data["log"]).rstrip("\n")
    return line
