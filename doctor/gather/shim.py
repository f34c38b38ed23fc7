"""The containerd shims: which run, what they serve, and which pods lost theirs.

One pass over /proc (under the host root, so it works with --host-root and synthetic trees, where
psutil's global PROCFS_PATH would not) finds the `containerd-shim*` processes, their flags and
children. containerd-shim-runc-v2 serves a whole pod: its -id is the sandbox id, and the pause
process and the containers are its children. The legacy containerd-shim (v1) serves one
container, named by its -workdir. A shim whose id is no sandbox the CRI knows is an orphan; a pod
or container the CRI calls running whose shim is gone gets `shim.alive: false`.

Reads ctx.handoff's `cri.sandbox_ids` (every sandbox id the CRI listed, any state) to tell
orphans from shims of pods that are merely not of interest.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from doctor.gather.context import GatherContext, LayerRecorder, status_for_os_error
from doctor.gather.host import Host
from doctor.gather.process import ProcStat, read_stat
from doctor.layers import Layer, LayerStatus

log = logging.getLogger(__name__)

SHIM_PREFIX = "containerd-shim"  # also the whole of /proc/<pid>/comm (15 characters) for v2
DEFAULT_STATE = "/run/containerd"
TASK_DIR = "io.containerd.runtime.v2.task"
K8S_NAMESPACE = "k8s.io"
DEAD_STATES = ("Z", "X", "x")


def gather(ctx: GatherContext) -> dict[str, Any]:
    recorder = LayerRecorder(Layer.SHIM)
    table = _process_table(ctx.host, recorder)
    if table is None:
        return recorder.section()
    pod_sandboxes = {p["sandbox"]["id"] for p in ctx.pods if (p.get("sandbox") or {}).get("id")}
    listed = ctx.handoff.cri.sandbox_ids
    sandbox_ids = None if listed is None else {str(i) for i in listed} | pod_sandboxes
    state_dir = _state_dir(ctx)
    endpoint = ctx.sections.get(Layer.CRI, {}).get("endpoint")
    cri_socket = _bare(endpoint) if isinstance(endpoint, str) else None
    children: dict[int, list[int]] = {}
    for stat in sorted(table.values(), key=lambda s: s.pid):
        children.setdefault(stat.ppid, []).append(stat.pid)
    shims = []
    for stat in sorted(table.values(), key=lambda s: s.pid):
        if not stat.comm.startswith(SHIM_PREFIX):
            continue
        argv = _argv(ctx.host, stat.pid)
        if argv is None and stat.state in DEAD_STATES:
            argv = []  # a zombie shim: its comm is all that is left
        elif argv is None or not os.path.basename(argv[0]).startswith(SHIM_PREFIX):
            continue
        shim = _describe(ctx.host, stat, argv, children, state_dir, recorder)
        # A shim started by another containerd (its -address is another socket: Docker's, a
        # second runtime) is not in this CRI's list by design: whether it is known stays None.
        foreign = bool(cri_socket and shim["address"] and _bare(shim["address"]) != cri_socket)
        if (
            shim["namespace"] == K8S_NAMESPACE
            and shim["serves"] == "pod"
            and shim["id"]
            and not foreign
        ):
            # Known when a pod of interest or the CRI's full list has it; unknowable without
            # the list, since the shim may serve a pod that is simply not of interest.
            if shim["id"] in pod_sandboxes:
                shim["sandbox_known"] = True
            elif sandbox_ids is not None:
                shim["sandbox_known"] = shim["id"] in sandbox_ids
        shims.append(shim)
    recorder.facts["shims"] = shims
    _assign(ctx.pods, shims, ctx.handoff.cri.container_sandboxes)
    return recorder.section()


def _bare(address: str) -> str:
    """A socket address without its unix:// scheme, normalised."""
    path = address.split("://", 1)[1] if "://" in address else address
    return os.path.normpath(path.strip())


def _process_table(host: Host, recorder: LayerRecorder) -> dict[int, ProcStat] | None:
    """Every process's stat, by pid; None when /proc cannot be listed at all."""
    try:
        names = os.listdir(host.path("/proc"))
    except OSError as exc:
        recorder.fail(status_for_os_error(exc), "/proc", exc.strerror or str(exc))
        return None
    table: dict[int, ProcStat] = {}
    for name in names:
        if name.isdigit():
            try:
                table[int(name)] = read_stat(host, int(name))
            except (OSError, ValueError):
                continue  # exited while we looked, or a kernel thread being torn down
    if not table:
        recorder.fail(LayerStatus.ERROR, "/proc", "no process could be read")
        return None
    return table


def _argv(host: Host, pid: int) -> list[str] | None:
    try:
        raw = host.read_bytes(f"/proc/{pid}/cmdline", 1 << 20)
    except OSError:
        return None
    return [part.decode("utf-8", "replace") for part in raw.split(b"\0") if part] or None


def shim_flags(argv: list[str]) -> dict[str, str]:
    """Go-style flags (`-id X`, `--id X`, `-id=X`) of a shim command line."""
    flags: dict[str, str] = {}
    index = 1
    while index < len(argv):
        word = argv[index]
        index += 1
        if not word.startswith("-") or word in ("-", "--"):
            continue
        name, equals, value = word.lstrip("-").partition("=")
        if not equals:
            if index < len(argv) and not argv[index].startswith("-"):
                value = argv[index]
                index += 1
            else:
                value = "true"  # a boolean flag such as -debug
        flags[name] = value
    return flags


def _describe(
    host: Host,
    stat: ProcStat,
    argv: list[str],
    children: dict[int, list[int]],
    state_dir: str,
    recorder: LayerRecorder,
) -> dict[str, Any]:
    flags = shim_flags(argv)
    binary = os.path.basename(argv[0]) if argv else stat.comm
    legacy = binary == SHIM_PREFIX  # v1 shim: one container, named by its workdir
    shim_id = flags.get("id") or (
        os.path.basename(flags["workdir"]) if "workdir" in flags else None
    )
    namespace = flags.get("namespace")
    shim: dict[str, Any] = {
        "pid": stat.pid,
        "id": shim_id,
        "namespace": namespace,
        "address": flags.get("address"),
        "binary": binary,
        "serves": None if not argv else "container" if legacy else "pod",
        "alive": stat.state not in DEAD_STATES,
        "parent_pid": stat.ppid,
        "children": children.get(stat.pid, []),
        "sandbox_known": None,
        "task": None,
    }
    if shim_id and namespace and not legacy:
        shim["task"] = _task_state(host, recorder, f"{state_dir}/{TASK_DIR}/{namespace}/{shim_id}")
    return shim


def _state_dir(ctx: GatherContext) -> str:
    config = (ctx.sections.get(Layer.CONTAINERD) or {}).get("config") or {}
    state = config.get("state")
    return state if isinstance(state, str) and state.startswith("/") else DEFAULT_STATE


def _task_state(host: Host, recorder: LayerRecorder, directory: str) -> dict[str, Any] | None:
    """The shim's bundle dir: its socket address and the init pid (the pause process)."""
    if not host.path(directory).is_dir():
        return None
    task: dict[str, Any] = {"dir": directory, "address": None, "init_pid": None}
    with recorder.reading(f"{directory}/address"):
        task["address"] = host.read_text(f"{directory}/address", 4096).strip() or None
    with recorder.reading(f"{directory}/init.pid"):
        pid = host.read_text(f"{directory}/init.pid", 64).strip()
        task["init_pid"] = int(pid) if pid.isdigit() else None
    return task


def _assign(
    pods: list[dict[str, Any]], shims: list[dict[str, Any]], sandbox_of: dict[str, str]
) -> None:
    """Give each pod's sandbox and containers the shim serving them (by sandbox id, or by
    container id for one-shim-per-container runtimes); running ones without a shim get
    alive false. A container of an older sandbox of the pod (`sandbox_of`: the CRI's
    pod_sandbox_id) gets that sandbox's shim, not the newest's: after its shim was killed the
    kubelet makes a new sandbox, whose live shim never served the container that died."""
    by_id: dict[str, dict[str, Any]] = {}
    for shim in shims:
        if shim["id"] and (shim["id"] not in by_id or shim["alive"]):
            by_id[shim["id"]] = shim
    for pod in pods:
        sandbox = pod.get("sandbox") or {}
        pod_shim = by_id.get(sandbox.get("id") or "")
        if sandbox:
            sandbox["shim"] = _ref(pod_shim, sandbox.get("state") == "SANDBOX_READY")
        for container in pod.get("containers", []):
            own = sandbox_of.get(container.get("id") or "")
            sandbox_shim = by_id.get(own) if own and own != sandbox.get("id") else pod_shim
            served_by = sandbox_shim or by_id.get(container.get("id") or "")
            if served_by is not None or container.get("state") == "CONTAINER_RUNNING":
                container["shim"] = _ref(served_by, True)


def _ref(shim: dict[str, Any] | None, expected: bool) -> dict[str, Any] | None:
    if shim is not None:
        return {"pid": shim["pid"], "alive": shim["alive"]}
    return {"pid": None, "alive": False} if expected else None
