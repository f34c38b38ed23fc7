"""Walk the stack top-down and assemble the facts document.

Each layer's gatherer runs in order and may read what the layers above found. A gatherer that
raises (a bug, or something unforeseen on a strange node) costs only its own layer, which is
then reported as `error` with the exception: collection never fails as a whole because one
layer failed. Only an invalid pod query (unknown or ambiguous pod) stops it, since there is
then nothing meaningful to diagnose.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from doctor import __version__
from doctor.errors import DoctorError
from doctor.gather.api.question import ApiQuestion
from doctor.gather.child import Child, fork_is_safe
from doctor.gather.context import GatherContext, GatherOptions, LayerRecorder
from doctor.gather.cri.query import settle_deferred
from doctor.gather.handoff import CriHandoff
from doctor.layers import LAYER_ORDER, Layer, LayerStatus

log = logging.getLogger(__name__)

# The order gatherers run in: the CRI needs the kubelet's endpoint, later layers need the pods.
GATHERERS: tuple[tuple[Layer, str], ...] = (
    (Layer.KUBELET, "doctor.gather.kubelet"),
    (Layer.CRI, "doctor.gather.cri.gather"),
    (Layer.CONTAINERD, "doctor.gather.containerd"),
    (Layer.SHIM, "doctor.gather.shim"),
    (Layer.RUNC, "doctor.gather.runc"),
    (Layer.PROCESS, "doctor.gather.process"),
    (Layer.NODE, "doctor.gather.node"),
)

Progress = Callable[[Layer, str], None]  # (layer, "start" | final status)


def _apiserver_section() -> dict[str, Any]:
    recorder = LayerRecorder(Layer.APISERVER)
    recorder.fail(
        LayerStatus.ABSENT,
        "apiserver",
        "not asked: the node alone (--no-api, or no pod named); `diagnose POD` reads the API"
        " server with a kubeconfig",
    )
    return recorder.section()


def _run_gatherer(layer: Layer, module_name: str, ctx: GatherContext) -> dict[str, Any]:
    try:
        module = importlib.import_module(module_name)
        section: dict[str, Any] = module.gather(ctx)
        return section
    except DoctorError:
        raise
    except Exception as exc:  # a bug must cost one layer, never the whole diagnosis
        log.debug("gatherer %s failed", module_name, exc_info=True)
        recorder = LayerRecorder(layer)
        recorder.fail(
            LayerStatus.ERROR, module_name, f"internal error: {type(exc).__name__}: {exc}"
        )
        return recorder.section()


def _cri_alone(ctx: GatherContext) -> dict[str, Any]:
    """The cri layer as a child process gathers it: before the kubelet's layer, so with the
    kubelet's endpoint looked up here, and an unknown pod settled later by the parent. The
    answer, JSON: the section, the pods, and the CRI's hand-offs whole (`_cri_answer`)."""
    from doctor.gather.cri.endpoint import named_without_kubelet

    if not named_without_kubelet(ctx):
        from doctor.gather.kubelet import note_runtime_endpoint, started_with

        note_runtime_endpoint(ctx, started_with(ctx, LayerRecorder(Layer.KUBELET)))
    ctx.handoff.cri_defer_not_found = True
    section = _run_gatherer(Layer.CRI, "doctor.gather.cri.gather", ctx)
    return {"section": section, "pods": ctx.pods, "cri": ctx.handoff.cri.to_json()}


# Later layers' reading that needs no other layer (their `prefetch`).
PREFETCHERS = ("doctor.gather.containerd", "doctor.gather.node")


def _prefetch(ctx: GatherContext) -> None:
    for module_name in PREFETCHERS:
        try:
            importlib.import_module(module_name).prefetch(ctx)
        except Exception:  # the layer's gatherer reads it again, and reports what failed
            log.debug("prefetch by %s failed", module_name, exc_info=True)


def _cri_answer(ctx: GatherContext, answer: dict[str, Any]) -> dict[str, Any]:
    """Take in the child's answer (`_cri_alone`); return the CRI section."""
    ctx.pods = answer["pods"]
    # the CRI's part of the record is the child's alone: the parent wrote none of it
    ctx.handoff.cri = CriHandoff.from_json(answer["cri"])
    section: dict[str, Any] = answer["section"]
    return section


def _assign_logs(ctx: GatherContext) -> None:
    """Give each pod the kubelet and containerd log lines that mention it."""
    from doctor.gather.logs.selection import assign_pod_lines

    for lines, field in (
        (ctx.handoff.kubelet_log_lines, "kubelet_log"),
        (ctx.handoff.containerd_log_lines, "containerd_log"),
    ):
        if lines is not None:
            assign_pod_lines(ctx.pods, lines, field, ctx.pod_terms())
    from doctor.gather.cri.waiting import add_waiting_containers

    # a container whose image could not be pulled is only in the kubelet's log
    add_waiting_containers(ctx.pods)


def _cgroup_version(ctx: GatherContext) -> int | None:
    from doctor.gather.cgroups import cgroup_version

    return cgroup_version(ctx.host)


def collect(
    options: GatherOptions,
    progress: Progress | None = None,
    raw: dict[str, bytes] | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> dict[str, Any]:
    """The facts document for this node (and the pods the options ask for).

    With `raw`, also the runtime's own verbose answers for those pods (runtime specs, runtime
    options), as JSON files by name, for a support bundle. `meanwhile` (loading the rules)
    runs while the runtime is asked.
    """
    started = time.monotonic()
    at = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    ctx = GatherContext.create(options)
    sections: dict[Layer, dict[str, Any]] = {Layer.APISERVER: _apiserver_section()}
    api = ApiQuestion.start(ctx) if options.api is not None and options.pod else None
    if progress and api is None:
        progress(Layer.APISERVER, sections[Layer.APISERVER]["status"])
    cri = Child(lambda: _cri_alone(ctx)) if fork_is_safe() else None
    try:
        if meanwhile:
            meanwhile()
        for layer, module_name in GATHERERS:
            if progress:
                progress(layer, "start")
            if layer is Layer.CRI and cri is not None:
                _prefetch(ctx)  # the parent's work while the child's answer is not in yet
                section, cri = _cri_answer(ctx, cri.result()), None
            else:
                section = _run_gatherer(layer, module_name, ctx)
            if layer is Layer.CRI:
                settle_deferred(ctx, section)  # may raise: the pod is nowhere
            sections[layer] = ctx.sections[layer] = section
            if progress:
                progress(layer, sections[layer]["status"])
    except BaseException:
        if api is not None:  # its answer is no longer wanted
            api.cancel()
        raise
    finally:
        if cri is not None:  # something failed before the child's answer was wanted
            cri.cancel()
    api_answer = api.answer(ctx) if api is not None else None
    if api is not None and api_answer is not None:
        api.place(ctx, api_answer)
        if progress:
            progress(Layer.APISERVER, api_answer["status"])
    _assign_logs(ctx)
    from doctor.facts.document import SCHEMA_VERSION  # here: not needed before the CRI's fork

    if raw is not None:
        for name, answer in ctx.handoff.cri.verbose.items():
            raw[f"cri/{name}.json"] = (json.dumps(answer, indent=2) + "\n").encode()
    document = {
        "schema": SCHEMA_VERSION,
        "collected": {
            "at": at,
            "host": _hostname(ctx),
            "kernel": _read_first_line(ctx, "/proc/sys/kernel/osrelease"),
            "cgroup_version": _cgroup_version(ctx),
            "stackdoctor": __version__,
            "source": "live",
            "duration_seconds": round(time.monotonic() - started, 3),
            "utc_offset_seconds": _utc_offset(ctx),
        },
        "layers": {layer.value: sections[layer] for layer in LAYER_ORDER},
        "pods": ctx.pods,
    }
    if api is None or api_answer is None:
        return document
    if raw is not None and api_answer.get("status") == "ok":
        raw["api/answer.json"] = (json.dumps(api_answer, indent=2) + "\n").encode()
    return api.apply(ctx, document, api_answer)


def _read_first_line(ctx: GatherContext, path: str) -> str | None:
    try:
        return ctx.host.read_text(path, 4096).strip().splitlines()[0] or None
    except (OSError, IndexError):
        return None


def _utc_offset(ctx: GatherContext) -> int | None:
    """The node's zone offset now, from its /etc/localtime (a host root's, not this
    process's: a DaemonSet pod's zone is usually UTC whatever the node's); None unreadable."""
    from zoneinfo import ZoneInfo

    try:
        with ctx.host.path("/etc/localtime").open("rb") as tzif:
            zone = ZoneInfo.from_file(tzif)
    except (OSError, ValueError):
        return None  # no /etc/localtime means UTC to glibc, but a host root may lack it
    offset = datetime.now(zone).utcoffset()
    return int(offset.total_seconds()) if offset is not None else None


def _hostname(ctx: GatherContext) -> str:
    # The node's own name, also when running in a container with the host at --host-root.
    name = ctx.host.hostname()
    if name:
        return name
    return os.uname().nodename if str(ctx.options.host_root) == "/" else "unknown"


def examined_anything(document: dict[str, Any]) -> bool:
    """Exit code 2 is for a run that could examine nothing at all."""
    return any(section["status"] == "ok" for section in document["layers"].values())
