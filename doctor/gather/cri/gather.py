"""The cri layer: the runtime as the kubelet sees it, and the pods of interest.

Writes ctx.pods (facts form) and, for later gatherers, ctx.handoff.cri (handoff.CriHandoff):
- `sandbox_ids`: every sandbox id the runtime listed, any state (None: it could not be asked)
- `cgroups_paths`: {container id: the runtime spec's linux.cgroupsPath}, pods of interest
- `runc_root`: runc's state root, when the runtime's options name one
- `sandbox_image`: (the sandbox image the runtime's config names, whether the runtime has it),
  when the runtime tells its config
- `verbose`: the runtime's verbose answers for the pods, for `collect`'s artifacts
- `pod_not_found`: with ctx.handoff.cri_defer_not_found set (asked from a child process, before
  the kubelet's log was read), the not-found message that query.settle_deferred settles later
Reads ctx.handoff.kubelet_runtime_endpoint (see endpoint.py). collect.py may gather this layer
in a child process, which sends ctx.pods and ctx.handoff.cri back as JSON.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from doctor.gather.context import GatherContext, LayerRecorder
from doctor.gather.cri.client import CriCallError, CriClient
from doctor.gather.cri.endpoint import discover, local_target
from doctor.gather.cri.pods import PodFacts, PodGroup, group, pod_facts, resolve, runc_root
from doctor.gather.cri.query import PodNotFoundError, known_from_kubelet_log, placeholder
from doctor.layers import Layer, LayerStatus

log = logging.getLogger(__name__)


def gather(ctx: GatherContext) -> dict[str, Any]:
    recorder = LayerRecorder(Layer.CRI)
    recorder.facts.update(endpoint=None, endpoint_source=None, api_version=None)
    ctx.handoff.cri.sandbox_ids = None
    endpoint = discover(ctx)
    if endpoint is None:
        recorder.fail(
            LayerStatus.UNREACHABLE,
            "endpoint",
            "no CRI endpoint: none given (--runtime-endpoint, CONTAINER_RUNTIME_ENDPOINT, "
            "kubelet, /etc/crictl.yaml) and no default socket exists",
        )
        ctx.pods = placeholder(ctx.options.pod)
        return recorder.section()
    for problem in endpoint.problems:
        recorder.error("endpoint", problem)
    recorder.facts.update(endpoint=endpoint.address, endpoint_source=endpoint.source)
    if not endpoint.address.startswith("unix://"):
        recorder.fail(
            LayerStatus.UNSUPPORTED, endpoint.address, "only unix:// CRI endpoints are supported"
        )
        ctx.pods = placeholder(ctx.options.pod)
        return recorder.section()
    target = local_target(ctx, endpoint.address)
    with CriClient(endpoint.address, target, ctx.options.timeout) as client:
        try:
            examine(ctx, client, recorder)
        except CriCallError as exc:
            recorder.fail(exc.status, f"{exc.rpc} {endpoint.address}", exc.text)
            ctx.pods = placeholder(ctx.options.pod)
    return recorder.section()


def examine(ctx: GatherContext, client: CriClient, recorder: LayerRecorder) -> None:
    """The runtime's version and status, then the pods; a CriCallError means the runtime could
    not be examined (raised by the first calls only: later ones are recorded and skipped)."""
    version = client.negotiate()
    recorder.facts.update(
        api_version=client.api_version,
        runtime_name=version.runtime_name or None,
        runtime_version=version.runtime_version or None,
    )
    status = client.status(verbose=True)
    recorder.facts["conditions"] = [
        {
            "type": c.type,
            "status": c.status,
            "reason": c.reason or None,
            "message": c.message or None,
        }
        for c in status.status.conditions
    ]
    driver, root = runtime_config(status.info, recorder)
    recorder.facts["cgroup_driver"] = driver
    if root:
        ctx.handoff.cri.runc_root = root
    sandbox_image(ctx, client, status.info, recorder)
    image_fs(client, recorder)
    everything = client.list_pod_sandbox()
    ctx.handoff.cri.sandbox_ids = [s.id for s in everything]
    if ctx.options.pod is not None:
        try:
            pods = resolve(client, ctx.options.pod, everything)
        except PodNotFoundError as exc:
            if ctx.handoff.cri_defer_not_found:
                ctx.handoff.cri.pod_not_found = str(exc)  # query.settle_deferred's, later
                return
            recorder.errors.append(known_from_kubelet_log(ctx, exc))
            return
    elif ctx.options.all_pods:
        pods = group(everything)
    else:
        pods = []
    ctx.pods = collect_pods(ctx, client, recorder, pods)


def collect_pods(
    ctx: GatherContext, client: CriClient, recorder: LayerRecorder, pods: list[PodGroup]
) -> list[dict[str, Any]]:
    extra = PodFacts()
    facts = [pod_facts(client, pod, recorder, extra) for pod in pods]
    handoff = ctx.handoff.cri
    handoff.cgroups_paths = extra.cgroups_paths
    handoff.container_sandboxes = extra.sandboxes
    handoff.verbose = extra.verbose  # raw answers, for `collect`'s artifacts
    if handoff.runc_root is None:  # the runtime's config names none
        handoff.runc_root = extra.runc_root
    return facts


def runtime_config(
    info: Mapping[str, str], recorder: LayerRecorder
) -> tuple[str | None, str | None]:
    """(cgroup driver, runc root) from the verbose Status info, where the runtime tells them.

    containerd's CRI plugin puts its configuration in info["config"] (JSON): the default
    runtime's options carry `SystemdCgroup` and `Root` when the config file sets them.
    """
    raw = info.get("config")
    if not raw:
        return None, None
    try:
        config = json.loads(raw)
    except ValueError as exc:
        recorder.error("Status info config", f"not JSON: {exc}")
        return None, None
    containerd = config.get("containerd") if isinstance(config, dict) else None
    if not isinstance(containerd, dict):
        return None, None
    runtimes = containerd.get("runtimes")
    default = containerd.get("defaultRuntimeName") or "runc"
    runtime = runtimes.get(default) if isinstance(runtimes, dict) else None
    options = runtime.get("options") if isinstance(runtime, dict) else None
    if not isinstance(options, dict):
        return None, None
    driver = None
    if isinstance(options.get("SystemdCgroup"), bool):
        driver = "systemd" if options["SystemdCgroup"] else "cgroupfs"
    return driver, runc_root(options)


def sandbox_image(
    ctx: GatherContext, client: CriClient, info: Mapping[str, str], recorder: LayerRecorder
) -> None:
    """Whether the runtime has the sandbox (pause) image its config names: containerd's CRI
    config (verbose Status info["config"]) has `sandboxImage`; ImageStatus says if it is there."""
    try:
        config = json.loads(info.get("config") or "{}")
    except ValueError:
        return  # runtime_config recorded it
    image = config.get("sandboxImage") if isinstance(config, dict) else None
    if not isinstance(image, str) or not image:
        return
    try:
        answer = client.image_status(image)
    except CriCallError as exc:
        recorder.error(f"ImageStatus {image}", exc.text)
        return
    ctx.handoff.cri.sandbox_image = (image, bool(answer.HasField("image") and answer.image.id))


def image_fs(client: CriClient, recorder: LayerRecorder) -> None:
    try:
        answer = client.image_fs_info()
    except CriCallError as exc:
        recorder.error("ImageFsInfo", exc.text)
        return
    recorder.facts["image_fs"] = [
        {
            "mountpoint": fs.fs_id.mountpoint,
            "used_bytes": fs.used_bytes.value if fs.HasField("used_bytes") else None,
            "inodes_used": fs.inodes_used.value if fs.HasField("inodes_used") else None,
        }
        for fs in answer.image_filesystems
    ]
