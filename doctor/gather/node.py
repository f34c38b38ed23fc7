"""The node's own resources: disks, memory, kernel log, and the limits containers share; and
the log of the node's other agents (kube-proxy, flanneld) run as host services.

Disk and inode use of the directories the stack writes to (containerd's root, the kubelet's root,
/var/log), memory from /proc/meminfo and PSI, the kernel log's OOM-killer and other trouble lines
(from /dev/kmsg, read without blocking; dmesg is never run), the file-handle and inotify
limits, and the forwarding settings pod traffic needs (read from /proc/sys, never written).
"""

from __future__ import annotations

import errno
import logging
import os
import re
from collections import deque
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any

from doctor.gather.context import GatherContext, LayerRecorder, status_for_os_error
from doctor.gather.host import Host
from doctor.gather.logs.selection import read_node_log
from doctor.gather.logs.sources import AGENTS_LOG
from doctor.layers import Layer

log = logging.getLogger(__name__)

DEFAULT_CONTAINERD_ROOT = "/var/lib/containerd"
KUBELET_ROOT = "/var/lib/kubelet"
VAR_LOG = "/var/log"

KERNEL_LOG_LINES = 200
KMSG_MAX_RECORDS = 100_000
KMSG_MAX_BYTES = 32 << 20  # the kernel's ring buffer is at most this large
KMSG_READ_SIZE = 16 << 10  # one /dev/kmsg record per read; a smaller buffer gets EINVAL
LEVELS = ("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug")

# The kernel lines that explain container trouble (format strings: mm/oom_kill.c,
# mm/memcontrol.c, kernel/cgroup/pids.c, kernel/hung_task.c, arch/x86/mm/fault.c, block/;
# the lockup and stall detectors: kernel/watchdog.c, kernel/rcu/tree_stall.h; oopses and
# panics: lib/bug.c, arch/x86/mm/fault.c, kernel/panic.c; fs.file-max: fs/file_table.c; a
# network device a namespace's teardown waits on: net/core/dev.c, netdev_wait_allrefs).
KERNEL_TROUBLE = re.compile(
    r"Out of memory(?: \(oom_kill_allocating_task\))?: Kill"
    r"|Memory cgroup out of memory"
    r"|oom-kill:constraint="
    r"|invoked oom-killer"
    r"|Killed process \d+"
    r"|oom_reaper: reaped process"
    r"|memory: usage \d+kB, limit \d+kB, failcnt"
    r"|Task in \S+ killed as a result of limit of"
    r"|cgroup: fork rejected by pids controller"
    r"|INFO: task \S+ blocked for more than \d+ seconds"
    r"|/proc/sys/kernel/hung_task_timeout_secs\S* disables this message"
    r"|BUG: soft lockup - CPU#\d+ stuck for"
    r"|[Ww]atchdog detected hard LOCKUP on cpu"
    r"|INFO: rcu_\w+ (?:self-)?detected stalls?"
    r"|Kernel panic - not syncing"
    r"|kernel BUG at \S+"
    r"|BUG: unable to handle (?:kernel|page fault)|BUG: kernel NULL pointer dereference"
    r"|segfault at "
    r"|\bI/O error\b"
    r"|EXT4-fs error"
    r"|Remounting filesystem read-only"
    r"|VFS: file-max limit \d+ reached"
    r"|unregister_netdevice: waiting for \S+ to become free"
    # an enforced SELinux denial of a container's process or of the runtime (container-selinux's
    # domains; svirt_lxc_net_t before it was renamed container_t): the kernel's audit record,
    # `avc:  denied  { read } for pid=... scontext=system_u:system_r:container_t:s0:c1,c2 ...`
    r"|avc:\s+denied\s+\{[^}]*\}\s+for\s.*\bscontext=\S*:(?:container_t|container_init_t"
    r"|container_runtime_t|spc_t|svirt_lxc_net_t|svirt_sandbox_t):"
)


def gather(ctx: GatherContext) -> dict[str, Any]:
    recorder = LayerRecorder(Layer.NODE)
    failures: list[tuple[str, OSError]] = []
    recorder.facts["disks"] = [
        disk_usage(ctx.host, path, recorder, failures) for path in _disk_paths(ctx)
    ]
    recorder.facts["memory"] = memory(ctx.host, recorder, failures)
    kernel_log = ctx.prefetched(
        ctx.handoff.kernel_log_ahead, recorder, lambda r: read_kernel_log(ctx.host, r)
    )
    if kernel_log is not None:
        recorder.facts["kernel_log"] = kernel_log
    _, agent_lines = ctx.prefetched(
        ctx.handoff.agent_log_ahead, recorder, lambda r: read_node_log(ctx, r, AGENTS_LOG)
    )
    if agent_lines is not None:  # unread: the key stays absent (not known), never null
        recorder.facts["agent_log"] = agent_lines
    recorder.facts["limits"] = limits(ctx.host, recorder)
    recorder.facts["forwarding"] = forwarding(ctx.host, recorder)
    disks_read = any("used_ratio" in disk for disk in recorder.facts["disks"])
    if failures and recorder.facts["memory"] is None and not disks_read:
        source, exc = failures[0]
        recorder.fail(status_for_os_error(exc), source, "neither disks nor memory could be read")
    return recorder.section()


def prefetch(ctx: GatherContext) -> None:
    """The kernel log and the node agents' log need no other layer: read them ahead
    (collect.py)."""
    ctx.prefetch(ctx.handoff.kernel_log_ahead, Layer.NODE, lambda r: read_kernel_log(ctx.host, r))
    ctx.prefetch(
        ctx.handoff.agent_log_ahead, Layer.NODE, lambda r: read_node_log(ctx, r, AGENTS_LOG)
    )


def _disk_paths(ctx: GatherContext) -> list[str]:
    config = (ctx.sections.get(Layer.CONTAINERD) or {}).get("config") or {}
    root = config.get("root")
    containerd_root = root if isinstance(root, str) and root.startswith("/") else None
    return [containerd_root or DEFAULT_CONTAINERD_ROOT, KUBELET_ROOT, VAR_LOG]


# --- disks -------------------------------------------------------------------------------------


def disk_usage(
    host: Host, path: str, recorder: LayerRecorder, failures: list[tuple[str, OSError]]
) -> dict[str, Any]:
    """Space and inode use of the filesystem holding `path` (or its nearest existing parent)."""
    disk: dict[str, Any] = {"path": path, "mount": None}
    existing = _nearest_existing(host, path)
    try:
        stat = os.statvfs(host.path(existing))
    except OSError as exc:
        recorder.error(existing, exc.strerror or str(exc))
        failures.append((existing, exc))
        return disk
    disk["mount"] = mount_point(host, existing)
    # The kubelet's view (eviction's nodefs.available): available to unprivileged writers.
    disk["used_ratio"] = _used(stat.f_bavail, stat.f_blocks)
    disk["inodes_used_ratio"] = _used(stat.f_favail, stat.f_files)
    disk["available_bytes"] = stat.f_bavail * stat.f_frsize
    return disk


def _used(available: int, total: int) -> float | None:
    if total <= 0:
        return None  # e.g. a filesystem without inode accounting (btrfs reports 0 inodes)
    return round(min(1.0, max(0.0, 1 - available / total)), 4)


def _nearest_existing(host: Host, path: str) -> str:
    current = PurePosixPath(path)
    while not host.path(str(current)).exists() and current.parent != current:
        current = current.parent
    return str(current)


def mount_point(host: Host, path: str) -> str | None:
    """The mount point holding `path`, from the host's own view (/proc/1/mountinfo)."""
    candidates = ["/proc/1/mountinfo"]
    if str(host.root) == "/":
        candidates.append("/proc/self/mountinfo")
    for source in candidates:
        try:
            text = host.read_text(source)
        except OSError:
            continue
        mounts = [
            _unescape(line.split(" ")[4]) for line in text.splitlines() if line.count(" ") > 4
        ]
        best = None
        for mount in mounts:
            prefix = mount.rstrip("/") + "/"
            if (path == mount or path.startswith(prefix) or mount == "/") and (
                best is None or len(mount) > len(best)
            ):
                best = mount
        return best
    return None


def _unescape(field: str) -> str:
    """mountinfo escapes space, tab, newline and backslash as octal (\\040...)."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


# --- memory ------------------------------------------------------------------------------------


def memory(
    host: Host, recorder: LayerRecorder, failures: list[tuple[str, OSError]]
) -> dict[str, Any] | None:
    try:
        text = host.read_text("/proc/meminfo")
    except OSError as exc:
        recorder.error("/proc/meminfo", exc.strerror or str(exc))
        failures.append(("/proc/meminfo", exc))
        return None
    values = parse_meminfo(text)
    total, available = values.get("MemTotal"), values.get("MemAvailable")
    ratio = round(available / total, 4) if total and available is not None else None
    return {
        "total_bytes": total,
        "available_bytes": available,
        "available_ratio": ratio,
        "psi_some_avg10": _psi_some_avg10(host, recorder),
    }


def parse_meminfo(text: str) -> dict[str, int]:
    """`MemTotal:       16318076 kB` lines -> bytes."""
    values: dict[str, int] = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        words = rest.split()
        if words and words[0].isdigit():
            values[key] = int(words[0]) * (1024 if words[1:] == ["kB"] else 1)
    return values


def _psi_some_avg10(host: Host, recorder: LayerRecorder) -> float | None:
    try:
        text = host.read_text("/proc/pressure/memory", 4096)
    except FileNotFoundError:
        return None  # a kernel without PSI (or booted with psi=0)
    except OSError as exc:
        # EOPNOTSUPP: PSI compiled in but disabled at boot.
        if exc.errno != errno.EOPNOTSUPP:
            recorder.error("/proc/pressure/memory", exc.strerror or str(exc))
        return None
    for line in text.splitlines():
        if line.startswith("some "):
            match = re.search(r"\bavg10=([\d.]+)", line)
            return float(match.group(1)) if match else None
    return None


# --- kernel log --------------------------------------------------------------------------------


def read_kernel_log(host: Host, recorder: LayerRecorder) -> list[dict[str, Any]] | None:
    """The newest trouble lines of the kernel's ring buffer; None when /dev/kmsg is unreadable.

    /dev/kmsg gives one record per read and EAGAIN at the end when opened non-blocking, and
    EPIPE when the record about to be read was overwritten. A regular file (a synthetic host
    tree) gives several records per read and end-of-file; both are handled alike.
    """
    try:
        fd = os.open(host.path("/dev/kmsg"), os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        recorder.error("/dev/kmsg", f"kernel log not readable: {exc.strerror or exc}")
        return None
    boot = _boot_time(host)
    kept: deque[dict[str, Any]] = deque(maxlen=KERNEL_LOG_LINES)
    pending = b""
    total = 0
    try:
        for reads in range(KMSG_MAX_RECORDS + 1):
            if reads == KMSG_MAX_RECORDS or total >= KMSG_MAX_BYTES:
                recorder.error("/dev/kmsg", f"stopped after {reads} reads ({total} bytes)")
                break
            try:
                chunk = os.read(fd, KMSG_READ_SIZE)
            except BlockingIOError:
                break
            except BrokenPipeError:
                continue  # overwritten before we read it; the next read gets the next record
            except OSError as exc:
                recorder.error("/dev/kmsg", exc.strerror or str(exc))
                break
            if not chunk:
                break
            total += len(chunk)
            pending += chunk
            *lines, pending = pending.split(b"\n")
            _keep(lines, boot, kept)
    finally:
        os.close(fd)
    _keep([pending], boot, kept)
    return list(kept)


def _keep(lines: list[bytes], boot: float | None, kept: deque[dict[str, Any]]) -> None:
    for raw in lines:
        if not raw or raw.startswith(b" "):
            continue  # empty, or a record's KEY=value dictionary continuation
        line = raw.decode("utf-8", "replace")
        if not KERNEL_TROUBLE.search(line, line.find(";") + 1):
            continue  # most records: matched before the costlier parse
        record = parse_kmsg(line, boot)
        if record is not None:
            kept.append(record)


def parse_kmsg(line: str, boot: float | None) -> dict[str, Any] | None:
    """`prio,seq,usec,flags[,...];message` -> a facts log line (time from boot + usec)."""
    prefix, semicolon, message = line.partition(";")
    fields = prefix.split(",")
    if not semicolon or len(fields) < 3 or not fields[0].isdigit() or not fields[2].isdigit():
        return None
    time = None
    if boot is not None:
        moment = datetime.fromtimestamp(boot + int(fields[2]) / 1e6, UTC)
        time = moment.isoformat(timespec="microseconds").replace("+00:00", "Z")
    return {
        "time": time,
        "severity": LEVELS[int(fields[0]) & 7],
        "source": None,
        "message": message,
        "raw": line,
    }


def _boot_time(host: Host) -> float | None:
    """Wall-clock seconds at boot: /proc/stat's btime."""
    try:
        text = host.read_text("/proc/stat")
    except OSError:
        return None
    match = re.search(r"^btime (\d+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else None


# --- limits ------------------------------------------------------------------------------------


def limits(host: Host, recorder: LayerRecorder) -> dict[str, Any]:
    """System-wide file handles (used vs max) and the per-user inotify limits."""
    file_nr = _read_numbers(host, "/proc/sys/fs/file-nr", recorder)
    file_max = _read_numbers(host, "/proc/sys/fs/file-max", recorder)
    used = file_nr[0] - file_nr[1] if file_nr and len(file_nr) >= 2 else None
    maximum = file_max[0] if file_max else None
    ratio = round(min(1.0, used / maximum), 4) if used is not None and maximum else None
    watches = _read_numbers(host, "/proc/sys/fs/inotify/max_user_watches", recorder)
    instances = _read_numbers(host, "/proc/sys/fs/inotify/max_user_instances", recorder)
    return {
        "file_handles_used": used,
        "file_handles_max": maximum,
        "file_handles_used_ratio": ratio,
        "inotify_max_user_watches": watches[0] if watches else None,
        "inotify_max_user_instances": instances[0] if instances else None,
    }


# --- forwarding --------------------------------------------------------------------------------

IP_FORWARD = "/proc/sys/net/ipv4/ip_forward"
BRIDGE_NF_CALL_IPTABLES = "/proc/sys/net/bridge/bridge-nf-call-iptables"


def forwarding(host: Host, recorder: LayerRecorder) -> dict[str, Any] | None:
    """net.ipv4.ip_forward and br_netfilter's bridge-nf-call-iptables (read only).

    /proc/sys/net shows the network namespace of the process reading it, whatever procfs it is
    read through: in a pod without hostNetwork it is the pod's, so nothing is read there.
    """
    if not _in_host_netns(host, recorder):
        return None
    ip_forward = _read_numbers(host, IP_FORWARD, recorder)
    bridge: bool | None = True
    call_iptables: list[int] | None = None
    try:
        words = host.read_text(BRIDGE_NF_CALL_IPTABLES, 64).split()
        call_iptables = [int(w) for w in words if w.isdigit()] or None
    except FileNotFoundError:
        bridge = False  # the bridge's netfilter hooks are not there: br_netfilter not loaded
    except OSError as exc:
        bridge = None
        recorder.error(BRIDGE_NF_CALL_IPTABLES, exc.strerror or str(exc))
    return {
        "ip_forward": ip_forward[0] if ip_forward else None,
        "bridge_netfilter": bridge,
        "bridge_nf_call_iptables": call_iptables[0] if call_iptables else None,
    }


def _in_host_netns(host: Host, recorder: LayerRecorder) -> bool:
    """Whether this process shares the network namespace of the host's init (pid 1)."""
    try:
        ours = os.readlink("/proc/self/ns/net")
        hosts = os.readlink(host.path("/proc/1/ns/net"))
    except OSError as exc:
        recorder.error("/proc/1/ns/net", exc.strerror or str(exc))
        return False
    if ours != hosts:
        recorder.error(
            "/proc/sys/net", "not in the host's network namespace (hostNetwork): not read"
        )
        return False
    return True


def _read_numbers(host: Host, path: str, recorder: LayerRecorder) -> list[int] | None:
    try:
        words = host.read_text(path, 4096).split()
    except OSError as exc:
        recorder.error(path, exc.strerror or str(exc))
        return None
    numbers = [int(word) for word in words if word.isdigit()]
    return numbers or None
