"""runc's own record of each container: <root>/<id>/state.json, read without exec'ing runc.

state.json holds no status: runc derives it, and so does this module, read-only and the way runc
does: the init process must exist with the recorded start time and not be a zombie (else
"stopped"); an exec.fifo still in the state dir means "created"; a frozen cgroup means "paused";
otherwise "running". A container with no state dir gets status "absent".

Reads the root the containerd or CRI gatherer found (ctx.handoff), and hands on
`runc_cgroup_paths` ({container id: state.json's cgroup_paths}) to the process gatherer, which
uses it when /proc/<pid>/cgroup cannot tell.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from doctor.gather.cgroups import cgroup_version, dirs_from_runc, frozen
from doctor.gather.context import GatherContext, LayerRecorder, status_for_os_error
from doctor.gather.host import Host
from doctor.gather.process import read_stat
from doctor.layers import Layer, LayerStatus

log = logging.getLogger(__name__)

DEFAULT_ROOT = "/run/containerd/runc/k8s.io"
DEAD_STATES = ("Z", "X", "x")


def gather(ctx: GatherContext) -> dict[str, Any]:
    recorder = LayerRecorder(Layer.RUNC)
    # containerd's config.toml first, then the runtime's own answer to the CRI
    named = ctx.handoff.containerd_runc_root or ctx.handoff.cri.runc_root
    root = (named or DEFAULT_ROOT).rstrip("/") or "/"
    recorder.facts.update({"root": root, "version": None})
    if not ctx.host.path(root).is_dir():
        recorder.fail(LayerStatus.ABSENT, root, "no runc state root")
        return recorder.section()
    version = cgroup_version(ctx.host)
    cgroup_paths = ctx.handoff.runc_cgroup_paths
    for pod in ctx.pods:
        for container in pod.get("containers", []):
            cid = container.get("id")
            if not cid:
                continue
            state = _load_state(ctx.host, recorder, f"{root}/{cid}")
            if state is None:
                continue
            if not state:
                container["runc"] = {"status": "absent", "pid": None}
                continue
            paths = state.get("cgroup_paths")
            if isinstance(paths, dict):
                cgroup_paths[cid] = {str(k): str(v) for k, v in paths.items()}
            container["runc"] = _describe(ctx.host, f"{root}/{cid}", state, version)
    return recorder.section()


def _load_state(host: Host, recorder: LayerRecorder, directory: str) -> dict[str, Any] | None:
    """The parsed state.json; {} when runc has no state for this id; None when unreadable."""
    path = f"{directory}/state.json"
    try:
        data = json.loads(host.read_bytes(path))
    except FileNotFoundError:
        return {}
    except OSError as exc:
        recorder.fail(status_for_os_error(exc), path, exc.strerror or str(exc))
        return None
    except ValueError as exc:
        recorder.error(path, f"not JSON: {exc}")
        return None
    if not isinstance(data, dict):
        recorder.error(path, "not a JSON object")
        return None
    return data


def _describe(
    host: Host, directory: str, state: dict[str, Any], version: int | None
) -> dict[str, Any]:
    pid = state.get("init_process_pid")
    pid = pid if isinstance(pid, int) and pid > 0 else None
    paths = state.get("cgroup_paths")
    return {
        "status": derive_status(host, directory, state, version),
        "pid": pid,
        "created": state.get("created"),
        "cgroup_paths": paths if isinstance(paths, dict) else None,
    }


def derive_status(host: Host, directory: str, state: dict[str, Any], version: int | None) -> str:
    """created / running / paused / stopped, as `runc state` would say."""
    pid = state.get("init_process_pid")
    start = state.get("init_process_start")  # a number, or a string in old runc versions
    if not isinstance(pid, int) or pid <= 0:
        return "stopped"
    try:
        stat = read_stat(host, pid)
    except (OSError, ValueError):
        return "stopped"
    if str(stat.start_time) != str(start).strip() or stat.state in DEAD_STATES:
        return "stopped"  # the pid was reused by another process, or is a zombie
    if host.path(f"{directory}/exec.fifo").exists():
        return "created"  # runc removes the fifo when the container is started
    paths = state.get("cgroup_paths")
    if isinstance(paths, dict) and version is not None:
        dirs = dirs_from_runc({str(k): str(v) for k, v in paths.items()}, version)
        if dirs is not None and frozen(host, dirs):
            return "paused"
    return "running"
