"""A container's cgroup, v1 or v2, read from the files the kernel exposes.

The container's cgroup is found from /proc/<pid>/cgroup (the kernel's own answer), else from
runc's recorded `cgroup_paths`, else from the runtime spec's `cgroupsPath` (systemd form
`slice:prefix:name` or a cgroupfs path). The readers map the kernel files to the facts `cgroup`
object: cpu samples, memory and pids. Nothing here writes.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from doctor.gather.host import Host

log = logging.getLogger(__name__)

CGROUP_ROOT = "/sys/fs/cgroup"
V1_CONTROLLERS = ("cpu", "memory", "pids", "freezer")
# A v1 limit of PAGE_COUNTER_MAX pages (9223372036854771712 on 4k pages) means "no limit".
V1_UNLIMITED = 1 << 62


def cgroup_version(host: Host) -> int | None:
    """2 when /sys/fs/cgroup is the unified hierarchy, 1 when v1 controllers are mounted."""
    if host.exists(f"{CGROUP_ROOT}/cgroup.controllers"):
        return 2
    if any(host.path(f"{CGROUP_ROOT}/{name}").is_dir() for name in ("memory", "cpu", "pids")):
        return 1
    return None


@dataclass(frozen=True)
class CgroupDirs:
    """Where one cgroup's files are, as host paths: one directory on v2, one per controller on
    v1 (None for a controller that is not mounted or not known)."""

    version: int
    path: str  # the cgroup as the kernel names it (relative to the hierarchy root)
    dirs: dict[str, str] = field(default_factory=dict)  # controller ("" on v2) -> host dir

    def dir(self, controller: str) -> str | None:
        return self.dirs.get("" if self.version == 2 else controller)


@dataclass
class CgroupRead:
    """What reading a cgroup produced: its facts, and the files that could not be read."""

    facts: dict[str, Any]
    errors: list[tuple[str, OSError]] = field(default_factory=list)


def parse_proc_cgroup(text: str) -> dict[str, str]:
    """/proc/<pid>/cgroup lines `id:controllers:path` -> {controller: path}; v2 is key ""."""
    paths: dict[str, str] = {}
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, path = parts
        if not controllers:
            paths[""] = path
        for name in controllers.split(","):
            if name:
                paths[name] = path
    return paths


def _v1_mount(host: Host, controller: str, proc_paths: dict[str, str]) -> str:
    """The v1 hierarchy holding `controller`: /sys/fs/cgroup/<controller> is usually a dir or a
    symlink to the co-mounted one (cpu -> cpu,cpuacct); else try the joined name."""
    plain = f"{CGROUP_ROOT}/{controller}"
    if host.path(plain).exists():
        return plain
    joined = sorted(name for name, path in proc_paths.items() if path == proc_paths[controller])
    for candidate in (",".join(joined), ",".join(reversed(joined))):
        if candidate and host.path(f"{CGROUP_ROOT}/{candidate}").exists():
            return f"{CGROUP_ROOT}/{candidate}"
    return plain


def dirs_from_proc(host: Host, pid: int, version: int) -> CgroupDirs:
    """The cgroup of a process; raises OSError when /proc/<pid>/cgroup cannot be read."""
    paths = parse_proc_cgroup(host.read_text(f"/proc/{pid}/cgroup", 64 << 10))
    if version == 2:
        path = paths.get("", "/")
        return CgroupDirs(2, path, {"": _join(CGROUP_ROOT, path)})
    dirs = {
        name: _join(_v1_mount(host, name, paths), paths[name])
        for name in V1_CONTROLLERS
        if name in paths
    }
    return CgroupDirs(1, paths.get("memory") or paths.get("cpu") or "/", dirs)


def dirs_from_runc(cgroup_paths: dict[str, str], version: int) -> CgroupDirs | None:
    """runc's state.json `cgroup_paths` (absolute host dirs: per controller, or "" on v2)."""
    if version == 2:
        full = cgroup_paths.get("")
        if not full:
            return None
        return CgroupDirs(2, _relative(full, CGROUP_ROOT), {"": full})
    dirs = {name: cgroup_paths[name] for name in V1_CONTROLLERS if cgroup_paths.get(name)}
    if not dirs:
        return None
    any_dir = dirs.get("memory") or next(iter(dirs.values()))
    controller = "memory" if "memory" in dirs else next(iter(dirs))
    return CgroupDirs(1, _relative(any_dir, f"{CGROUP_ROOT}/{controller}"), dirs)


def dirs_from_cgroups_path(cgroups_path: str, version: int) -> CgroupDirs:
    """The runtime spec's linux.cgroupsPath, in systemd form `slice:prefix:name` or a path."""
    path = systemd_cgroup_path(cgroups_path) if _is_systemd_form(cgroups_path) else cgroups_path
    path = "/" + path.lstrip("/")
    if version == 2:
        return CgroupDirs(2, path, {"": _join(CGROUP_ROOT, path)})
    return CgroupDirs(
        1, path, {name: _join(f"{CGROUP_ROOT}/{name}", path) for name in V1_CONTROLLERS}
    )


def _is_systemd_form(cgroups_path: str) -> bool:
    return not cgroups_path.startswith("/") and cgroups_path.count(":") == 2


def systemd_cgroup_path(cgroups_path: str) -> str:
    """`kubepods-burstable-pod1.slice:cri-containerd:abc` -> the path systemd gives it:
    /kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/cri-containerd-abc.scope
    (each dash in a slice name is a level of nesting, as systemd expands it)."""
    slice_name, prefix, name = cgroups_path.split(":", 2)
    parts: list[str] = []
    if slice_name and slice_name != "-.slice":
        stem = slice_name.removesuffix(".slice")
        words = stem.split("-")
        parts = ["-".join(words[: i + 1]) + ".slice" for i in range(len(words))]
    unit = name if name.endswith(".slice") else f"{prefix}-{name}.scope" if prefix else name
    return "/" + "/".join([*parts, unit])


def _join(root: str, path: str) -> str:
    return root.rstrip("/") + "/" + path.strip("/") if path.strip("/") else root


def _relative(full: str, root: str) -> str:
    return "/" + full.removeprefix(root).lstrip("/") if full.startswith(root) else full


# --- readers -----------------------------------------------------------------------------------


def read_cgroup(host: Host, dirs: CgroupDirs) -> CgroupRead:
    """The facts `cgroup` object with one cpu sample; `add_cpu_sample` appends more."""
    result = CgroupRead({"path": dirs.path})
    sample = read_cpu_sample(host, dirs, result)
    result.facts["cpu"] = {"samples": [sample]} if sample is not None else None
    result.facts["memory"] = read_memory(host, dirs, result)
    result.facts["pids"] = read_pids(host, dirs, result)
    return result


def add_cpu_sample(host: Host, dirs: CgroupDirs, read: CgroupRead) -> None:
    """Append a later cpu.stat sample, so rules can test what rose over the window; and read
    the OOM-kill counter again, so that a kill between the two reads has its time (within the
    window) in the timeline."""
    sample = read_cpu_sample(host, dirs, read)
    cpu = read.facts.get("cpu")
    if sample is not None and cpu is not None:
        cpu["samples"].append(sample)
    memory = read.facts.get("memory")
    if memory is not None and memory.get("oom_kill_events") is not None:
        later = read_memory(host, dirs, CgroupRead({}))
        if later is not None and later.get("oom_kill_events") is not None:
            memory["oom_kill_samples"] = [
                {"at": memory["read_at"], "oom_kill_events": memory["oom_kill_events"]},
                {"at": later["read_at"], "oom_kill_events": later["oom_kill_events"]},
            ]


def read_cpu_sample(host: Host, dirs: CgroupDirs, read: CgroupRead) -> dict[str, Any] | None:
    """cpu.stat's throttling counters; None without them (no cpu controller, no quota file)."""
    stat = _read_keyed(host, dirs.dir("cpu"), "cpu.stat", read)
    if stat is None or "nr_periods" not in stat or "nr_throttled" not in stat:
        return None
    if "throttled_usec" in stat:  # v2
        throttled: int | None = stat["throttled_usec"] * 1000
    else:  # v1: nanoseconds
        throttled = stat.get("throttled_time")
    return {
        "at": round(time.monotonic(), 6),
        "nr_periods": stat["nr_periods"],
        "nr_throttled": stat["nr_throttled"],
        "throttled_time_ns": throttled,
    }


def read_memory(host: Host, dirs: CgroupDirs, read: CgroupRead) -> dict[str, Any] | None:
    directory = dirs.dir("memory")
    if directory is None:
        return None
    at = datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
    if dirs.version == 2:
        events = _read_keyed(host, directory, "memory.events", read) or {}
        return {
            "read_at": at,
            "usage_bytes": _read_number(host, directory, "memory.current", read),
            "limit_bytes": _read_number(host, directory, "memory.max", read),
            "max_usage_bytes": _read_number(host, directory, "memory.peak", read, optional=True),
            "oom_events": events.get("oom"),
            "oom_kill_events": events.get("oom_kill"),
            "limit_hits": events.get("max"),
        }
    control = _read_keyed(host, directory, "memory.oom_control", read) or {}
    limit = _read_number(host, directory, "memory.limit_in_bytes", read)
    return {
        "read_at": at,
        "usage_bytes": _read_number(host, directory, "memory.usage_in_bytes", read),
        "limit_bytes": None if limit is not None and limit >= V1_UNLIMITED else limit,
        "max_usage_bytes": _read_number(host, directory, "memory.max_usage_in_bytes", read),
        "oom_events": None,  # v1 counts no OOM events; under_oom is a state
        "oom_kill_events": control.get("oom_kill"),  # kernels >= 4.13
        "limit_hits": _read_number(host, directory, "memory.failcnt", read),
        "under_oom": _flag(control.get("under_oom")),
        "oom_kill_disable": _flag(control.get("oom_kill_disable")),
    }


def read_pids(host: Host, dirs: CgroupDirs, read: CgroupRead) -> dict[str, Any] | None:
    directory = dirs.dir("pids")
    if directory is None:
        return None
    events = _read_keyed(host, directory, "pids.events", read, optional=True) or {}
    return {
        "current": _read_number(host, directory, "pids.current", read),
        "max": _read_number(host, directory, "pids.max", read),
        "max_events": events.get("max"),
    }


def frozen(host: Host, dirs: CgroupDirs) -> bool | None:
    """Whether the cgroup is frozen (paused): v1 freezer.state, v2 cgroup.freeze."""
    directory = dirs.dir("freezer")
    if directory is None:
        return None
    name = "cgroup.freeze" if dirs.version == 2 else "freezer.state"
    try:
        text = host.read_text(f"{directory}/{name}", 64).strip()
    except OSError:
        return None
    return text == "1" if dirs.version == 2 else text in ("FROZEN", "FREEZING")


def _flag(value: int | None) -> bool | None:
    return None if value is None else value != 0


def _read(
    host: Host, directory: str | None, name: str, read: CgroupRead, optional: bool = False
) -> str | None:
    if directory is None:
        return None
    path = f"{directory}/{name}"
    try:
        return host.read_text(path, 64 << 10)
    except FileNotFoundError as exc:
        if not optional:
            read.errors.append((path, exc))
        return None
    except OSError as exc:
        read.errors.append((path, exc))
        return None


def _read_number(
    host: Host, directory: str | None, name: str, read: CgroupRead, optional: bool = False
) -> int | None:
    """A single-number file; "max" (v2 and v1 pids.max: no limit) is None."""
    text = _read(host, directory, name, read, optional)
    if text is None:
        return None
    value = text.strip()
    return int(value) if value.lstrip("-").isdigit() else None


def _read_keyed(
    host: Host, directory: str | None, name: str, read: CgroupRead, optional: bool = False
) -> dict[str, int] | None:
    """A flat-keyed file (`key value` per line) such as cpu.stat or memory.events."""
    text = _read(host, directory, name, read, optional)
    if text is None:
        return None
    values: dict[str, int] = {}
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        if value.strip().lstrip("-").isdigit():
            values[key] = int(value.strip())
    return values
