"""What the API server knows about one pod: the Pod, its events, its Node and its owners up to
the workload a user names (Deployment, StatefulSet, DaemonSet, Job, CronJob).

The answer is JSON (it crosses the pipe from the child process that asks it, and a bundle keeps
it): the objects as the API served them, and the reads that failed with why. A failed read
costs only what it would have told.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from doctor.gather.api.client import ApiFailure, ReadOnlyApi
from doctor.gather.api.resources import ALL_NAMESPACES, KINDS, resource

MAX_EVENTS = 200  # a crash-looping pod's events are a handful; their counts carry the rest
MAX_OWNER_DEPTH = 3  # ReplicaSet -> Deployment, Job -> CronJob: two steps in practice


def read_pod_objects(api: ReadOnlyApi, name: str, namespace: str | None) -> dict[str, Any]:
    """{"pod", "events", "node", "node_events", "owners", "errors"}; "pod" is None when no such
    pod exists (then "matches" lists the namespaces holding a pod of that name, when asked in
    all)."""
    answer: dict[str, Any] = {
        "pod": None, "events": [], "node": None, "node_events": [], "owners": [], "errors": [],
    }  # fmt: skip
    pod = _find_pod(api, name, namespace, answer)
    if pod is None:
        return answer
    answer["pod"] = pod
    metadata, spec = pod.get("metadata", {}), pod.get("spec", {})
    namespace = metadata.get("namespace")
    fields = {"involvedObject.kind": "Pod", "involvedObject.name": metadata.get("name", name)}
    if metadata.get("uid"):
        fields["involvedObject.uid"] = metadata["uid"]  # not a deleted pod's of the same name
    Event, Node = resource("v1", "Event"), resource("v1", "Node")
    events = _try(api, answer, lambda: api.list(Event, namespace, fields, MAX_EVENTS))
    answer["events"] = events or []
    if spec.get("nodeName"):
        answer["node"] = _try(api, answer, lambda: api.get(Node, spec["nodeName"]))
        # the node's own events (the kubelet's SystemOOM, EvictionThresholdMet, NodeNotReady):
        # recorded in the namespace "default", looked for in all
        about_node = {"involvedObject.kind": "Node", "involvedObject.name": spec["nodeName"]}
        everywhere = partial(api.list, Event, ALL_NAMESPACES, about_node, MAX_EVENTS)
        answer["node_events"] = _try(api, answer, everywhere) or []
    answer["owners"] = _owners(api, metadata, namespace, answer)
    return answer


def _find_pod(
    api: ReadOnlyApi, name: str, namespace: str | None, answer: dict[str, Any]
) -> dict[str, Any] | None:
    Pod = resource("v1", "Pod")
    if namespace:
        try:
            return api.get(Pod, name, namespace)
        except ApiFailure as failure:
            if failure.kind == "not-found":
                return None
            raise
    # no namespace given: like the node walk, any namespace (a field selector, not a listing)
    try:
        found = api.list(Pod, ALL_NAMESPACES, {"metadata.name": name}, 50)
    except ApiFailure as failure:
        if failure.kind != "forbidden":
            raise
        # allowed in one namespace only: the context's, as kubectl would use
        answer["errors"].append({"source": "apiserver", "message": str(failure)})
        return _find_pod(api, name, api.target.namespace, answer)
    if len(found) > 1:
        answer["matches"] = sorted(p["metadata"]["namespace"] for p in found)
        return None
    return found[0] if found else None


def _owners(
    api: ReadOnlyApi, metadata: dict[str, Any], namespace: str, answer: dict[str, Any]
) -> list[dict[str, Any]]:
    chain: list[dict[str, Any]] = []
    for _ in range(MAX_OWNER_DEPTH):
        owner = _controller(metadata)
        if owner is None:
            break
        record: dict[str, Any] = {"kind": owner.get("kind"), "name": owner.get("name")}
        chain.append(record)
        kind = (str(owner.get("apiVersion")), str(owner.get("kind")))
        if kind not in KINDS:
            break  # a custom resource: named, not read (its plural needs discovery)
        found = _try(api, answer, partial(api.get, resource(*kind), owner["name"], namespace))
        if found is None:
            break
        record.update(_summary(found))
        metadata = found.get("metadata", {})
    return chain


def _controller(metadata: dict[str, Any]) -> dict[str, Any] | None:
    refs = [r for r in metadata.get("ownerReferences") or [] if isinstance(r, dict)]
    return next((r for r in refs if r.get("controller")), refs[0] if refs else None)


def _summary(obj: dict[str, Any]) -> dict[str, Any]:
    """What a workload says of its pods: wanted, ready; a Job's active/failed."""
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    keep = {
        "replicas": spec.get("replicas"),
        "ready_replicas": status.get("readyReplicas", status.get("numberReady")),
        "desired_scheduled": status.get("desiredNumberScheduled"),
        "active": status.get("active"),
        "failed": status.get("failed"),
    }
    return {key: value for key, value in keep.items() if isinstance(value, int)}


def _try(api: ReadOnlyApi, answer: dict[str, Any], read: Any) -> Any:
    try:
        return read()
    except ApiFailure as failure:
        if failure.kind in ("timeout", "unreachable"):
            raise  # the server is gone: nothing else will answer either
        answer["errors"].append({"source": "apiserver", "message": str(failure)})
        return None
