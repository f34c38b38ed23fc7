"""What a pod query can come to without asking the runtime: the lookup errors, a placeholder
pod for a runtime that could not be asked, and a pod only the kubelet's log knows.

Kept free of gRPC: collect.py settles an unknown pod in the parent process while the CRI was
asked from a child (see child.py).
"""

from __future__ import annotations

from typing import Any

from doctor.errors import GatherError
from doctor.gather.context import GatherContext, PodQuery


class PodLookupError(GatherError):
    """The pod query names no pod on this node, or more than one."""


class PodNotFoundError(PodLookupError):
    """The runtime has no sandbox of the pod the query names."""


def placeholder(query: PodQuery | None) -> list[dict[str, Any]]:
    """A pod the CRI could not be asked about, when the query names it well enough to match
    log lines: NAMESPACE/NAME, or a name with the namespace option."""
    if query is None:
        return []
    text = query.text.strip()
    if "/" in text:
        namespace, _, name = text.partition("/")
    elif query.namespace:
        namespace, name = query.namespace, text
    else:
        return []
    if not namespace or not name:
        return []
    return [{"name": name, "namespace": namespace, "containers": []}]


def known_from_kubelet_log(ctx: GatherContext, not_found: PodNotFoundError) -> dict[str, str]:
    """Set ctx.pods to the queried pod (NAMESPACE/NAME) when the kubelet's log mentions it, and
    return the error the cri layer records; raise `not_found` when the log does not.

    A pod whose RunPodSandbox fails has no sandbox: containerd removes what it made. The
    kubelet still works on it and logs why; that log is then all there is to diagnose.
    """
    from doctor.gather.logs.selection import assign_pod_lines

    pods = placeholder(ctx.options.pod)
    if pods and ctx.options.pod_on_node:
        ctx.pods = pods
        return {
            "source": "ListPodSandbox",
            "message": f"pod {pods[0]['namespace']}/{pods[0]['name']} has no sandbox in the "
            "runtime, but the API server binds it to this node: its sandbox never started",
        }
    lines = ctx.handoff.kubelet_log_lines
    probe = [dict(pods[0])] if pods else []
    if probe and lines is not None:
        assign_pod_lines(probe, lines, "kubelet_log")
    if not probe or not probe[0].get("kubelet_log"):
        if not ctx.handoff.unknown_pod_for_api:
            raise not_found
        ctx.handoff.unknown_pod = str(not_found)  # collect asks the API server
        return {"source": "ListPodSandbox", "message": str(not_found)}
    ctx.pods = pods
    return {
        "source": "ListPodSandbox",
        "message": f"pod {pods[0]['namespace']}/{pods[0]['name']} has no sandbox in the "
        "runtime, but the kubelet log names it: its sandbox never started",
    }


def settle_deferred(ctx: GatherContext, cri_section: dict[str, Any]) -> None:
    """The not-found a CRI asked from a child process left for later (the kubelet's log was
    not read yet): settle it now that it is."""
    message, ctx.handoff.cri.pod_not_found = ctx.handoff.cri.pod_not_found, None
    if message is not None:
        cri_section["errors"].append(known_from_kubelet_log(ctx, PodNotFoundError(message)))
