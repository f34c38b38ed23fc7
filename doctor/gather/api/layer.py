"""The API server's answer (fetch.py) into the facts document.

The apiserver layer gets the same shape `analyze --pod-json/--events-json/--node-json` gives it
(doctor/apiserver/facts.py does both), so every apiserver rule reads live facts unchanged; live,
it also gets the node's summary (taints, allocatable, versions) and the pod its owners.

Where the pod lives decides what the node's layers mean: a pod bound to another node, or to none
yet, has nothing to do with this machine's kubelet or runtime, so those layers are then marked
not examined, saying where it runs and how to diagnose it there.
"""

from __future__ import annotations

from typing import Any

from doctor.apiserver.events_json import parse_event, parse_node_event
from doctor.apiserver.evidence import Evidence
from doctor.apiserver.facts import apply_evidence
from doctor.apiserver.node_json import parse_node
from doctor.apiserver.pod_json import parse_pod
from doctor.layers import LAYER_NAMES, LayerStatus

_STATUS_OF_KIND = {
    "forbidden": LayerStatus.PERMISSION_DENIED,
    "unauthorized": LayerStatus.PERMISSION_DENIED,
    "unreachable": LayerStatus.UNREACHABLE,
    "timeout": LayerStatus.TIMEOUT,
}


def unavailable_section(answer: dict[str, Any]) -> dict[str, Any]:
    """The apiserver layer when the server gave no answer, or there is none to ask."""
    if answer.get("status") == "absent":
        status = LayerStatus.ABSENT
    else:
        status = _STATUS_OF_KIND.get(answer.get("kind", ""), LayerStatus.ERROR)
    return {
        "status": status.value,
        "errors": [{"source": "apiserver", "message": answer.get("reason") or "no answer"}],
    }


def pod_key(answer: dict[str, Any]) -> tuple[str, str] | None:
    pod = answer.get("pod")
    if not isinstance(pod, dict):
        return None
    metadata = pod.get("metadata") or {}
    return str(metadata.get("namespace") or "default"), str(metadata.get("name"))


def node_name_of(answer: dict[str, Any]) -> str | None:
    pod = answer.get("pod") or {}
    name = (pod.get("spec") or {}).get("nodeName")
    return name if isinstance(name, str) and name else None


def apply_answer(document: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    """The document with the apiserver layer and the pod filled from an `ok` answer."""
    evidence = Evidence()
    where = f"api server {answer.get('server')} (context {answer.get('context')})"
    evidence.sources.append(where)
    pod = answer.get("pod")
    key = pod_key(answer)
    if pod is not None and key is not None:
        parsed = parse_pod(pod)
        evidence.pods[key] = parsed["pod"]
        evidence.node = parsed["node"]
        # the pod's events, even when the API answered none: an empty list is a fact
        evidence.events[key] = []
        for item in answer.get("events") or []:
            event = parse_event(item)
            if event is not None:
                evidence.events[key].append(event[2])
    node = answer.get("node")
    if isinstance(node, dict):
        name, conditions = parse_node(node)
        evidence.node_conditions[name] = conditions
    for item in answer.get("node_events") or []:
        about_node = parse_node_event(item)
        if about_node is not None:
            evidence.node_events.setdefault(about_node[0], []).append(about_node[1])
    document = apply_evidence(document, evidence)
    layer = document["layers"]["apiserver"]
    layer["errors"] = list(answer.get("errors") or [])
    layer["server"] = answer.get("server")
    if isinstance(node, dict):
        layer["node"] = node_summary(node)
    if key is not None:
        target = next(p for p in document["pods"] if (p["namespace"], p["name"]) == key)
        target["node_name"] = evidence.node
        target["owners"] = answer.get("owners") or []
    return document


def node_summary(node: dict[str, Any]) -> dict[str, Any]:
    """What `kubectl describe node` tells beyond the conditions."""
    metadata, spec, status = (node.get(k) or {} for k in ("metadata", "spec", "status"))
    info = status.get("nodeInfo") or {}
    return {
        "name": metadata.get("name"),
        "unschedulable": bool(spec.get("unschedulable")),
        "taints": [
            {"key": t.get("key"), "value": t.get("value"), "effect": t.get("effect")}
            for t in spec.get("taints") or []
            if isinstance(t, dict)
        ],
        "allocatable": {str(k): str(v) for k, v in (status.get("allocatable") or {}).items()},
        "kubelet_version": info.get("kubeletVersion") or None,
        "container_runtime_version": info.get("containerRuntimeVersion") or None,
        "kernel_version": info.get("kernelVersion") or None,
        "os_image": info.get("osImage") or None,
    }


def not_here(document: dict[str, Any], answer: dict[str, Any], here: str | None) -> None:
    """Mark the node's layers not examined for a pod that is not on this machine."""
    node = node_name_of(answer)
    key = pod_key(answer)
    pod = f"{key[0]}/{key[1]}" if key else "the pod"
    if node is None:
        message = f"not examined: {pod} is not scheduled to any node yet (its events say why)"
    else:
        here_text = f" ({here})" if here else ""
        message = (
            f"not examined: {pod} runs on node {node}, not on this machine{here_text}: "
            f"diagnose it there (`kubectl stackdoctor -n {key[0] if key else 'NS'} "
            f"{key[1] if key else 'POD'}`, or `stackdoctor diagnose {pod}` on {node})"
        )
    node_layers_not_examined(
        document, message, f"not examined: {pod} is not on this machine", "apiserver"
    )


def node_layers_not_examined(document: dict[str, Any], why: str, others: str, source: str) -> None:
    """Every layer below the apiserver absent: `why` on the first (the kubelet's), the shorter
    `others` on the rest, so a report says the reason once."""
    first, *rest = LAYER_NAMES[1:]
    for name, message in ((first, why), *((name, others) for name in rest)):
        error = {"source": source, "message": message}
        document["layers"][name] = {"status": LayerStatus.ABSENT.value, "errors": [error]}
