"""Evidence into the facts document: fill the apiserver layer (the node's conditions, from node
JSON, and its events) and the pods it tells of.

With node facts, a pod already there gains its phase, reason, message, conditions and events,
and container attempts the node did not see (a kubelet waiting state has no CRI container);
attempts both know keep the node's facts and gain only what they lacked. Without node facts,
every node layer is `absent` and the apiserver layer is the only one examined.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from doctor import __version__
from doctor.apiserver.evidence import Evidence
from doctor.facts.document import SCHEMA_VERSION
from doctor.layers import LAYER_NAMES

NO_NODE_DATA = "no node data: only kubectl output (pod, events, describe) was given"
_POD_FIELDS = ("uid", "phase", "reason", "message", "conditions")


def kubectl_document(evidence: Evidence) -> dict[str, Any]:
    """A facts document from kubectl output alone."""
    node, _ = evidence.conditions_of(None)
    layers: dict[str, Any] = {
        name: {"status": "absent", "errors": [{"source": "node", "message": NO_NODE_DATA}]}
        for name in LAYER_NAMES
    }
    document = {
        "schema": SCHEMA_VERSION,
        "collected": {
            "at": _newest_time(evidence),
            "host": evidence.node or node or _only(evidence.node_events) or "unknown-node",
            "stackdoctor": __version__,
            "source": "kubectl",
        },
        "layers": layers,
        "pods": [],
    }
    return apply_evidence(document, evidence)


def apply_evidence(document: dict[str, Any], evidence: Evidence) -> dict[str, Any]:
    """A copy of `document` with the apiserver layer and pods filled from the evidence."""
    document = copy.deepcopy(document)
    layer = document["layers"]["apiserver"]
    if layer.get("status") != "ok":
        layer.clear()
        layer.update({"status": "ok", "errors": []})
    layer["source"] = "; ".join(evidence.sources)
    _, conditions = evidence.conditions_of(document["collected"].get("host"))
    if conditions is not None:
        layer["node_conditions"] = conditions
    node_events = evidence.events_of_node(document["collected"].get("host"))
    if node_events is not None:
        layer["node_events"] = sorted(node_events, key=lambda e: e.get("last_seen") or "")
    pods = document["pods"]
    for key in evidence.pod_keys():
        pod = next((p for p in pods if (p["namespace"], p["name"]) == key), None)
        if pod is None:
            pod = {"name": key[1], "namespace": key[0], "containers": []}
            pods.append(pod)
        _merge_pod(pod, key, evidence)
    return document


def _merge_pod(pod: dict[str, Any], key: tuple[str, str], evidence: Evidence) -> None:
    status = evidence.pods.get(key) or evidence.described.get(key) or {}
    for name in _POD_FIELDS:
        if status.get(name) is not None:
            pod[name] = status[name]
    if pod.get("uid") is None and key in evidence.uids:
        pod["uid"] = evidence.uids[key]
    events = evidence.events.get(key)
    if events is None:
        events = evidence.described_events.get(key)
    if events is not None:
        pod["events"] = sorted(events, key=lambda e: e.get("last_seen") or "")
    for attempt in status.get("containers", []):
        _merge_attempt(pod["containers"], attempt)


def _merge_attempt(containers: list[dict[str, Any]], attempt: dict[str, Any]) -> None:
    same = next(
        (
            c
            for c in containers
            if c["name"] == attempt["name"] and c["attempt"] == attempt["attempt"]
        ),
        None,
    )
    if same is None:
        containers.append({k: v for k, v in attempt.items() if v is not None})
        return
    for name, value in attempt.items():
        if value is not None and same.get(name) is None:
            same[name] = value


def _only(named: dict[str, Any]) -> str | None:
    """The name, when only one is there."""
    return next(iter(named)) if len(named) == 1 else None


def _newest_time(evidence: Evidence) -> str:
    times = [
        e["last_seen"]
        for table in (evidence.events, evidence.described_events)
        for events in table.values()
        for e in events
        if e.get("last_seen")
    ]
    times += [e["last_seen"] for events in evidence.node_events.values() for e in events]
    times = [t for t in times if t]
    return max(times) if times else datetime.now(UTC).isoformat().replace("+00:00", "Z")
