"""Read kubectl output files (pod, events and node JSON, describe pod/node text, the events
table) into one Evidence record.

Files are told apart by content, not by name: a JSON Pod, Event or Node or a List of them,
describe text, or the table `kubectl get events` prints. Anything else is refused with the file
named.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from doctor.apiserver.describe import events_section, looks_like_describe, parse_describe
from doctor.apiserver.describe_node import looks_like_describe_node, parse_describe_node
from doctor.apiserver.events_json import PodKey, is_event, parse_event, parse_node_event
from doctor.apiserver.events_table import looks_like_events_table, parse_events_table
from doctor.apiserver.node_json import is_node, parse_node
from doctor.apiserver.pod_json import is_pod, parse_pod
from doctor.errors import FactsError


@dataclass
class Evidence:
    pods: dict[PodKey, dict[str, Any]] = field(default_factory=dict)  # from pod JSON
    described: dict[PodKey, dict[str, Any]] = field(default_factory=dict)  # from describe
    events: dict[PodKey, list[dict[str, Any]]] = field(default_factory=dict)  # from events JSON
    described_events: dict[PodKey, list[dict[str, Any]]] = field(default_factory=dict)
    uids: dict[PodKey, str] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    node: str | None = None  # the pods' node
    # from node JSON: each node's conditions by name (None: a Node without a name)
    node_conditions: dict[str | None, list[dict[str, Any]]] = field(default_factory=dict)
    # from events JSON: the events about each node, by its name
    node_events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(
            self.pods or self.described or self.events or self.described_events
            or self.node_conditions or self.node_events
        )  # fmt: skip

    def conditions_of(self, host: str | None) -> tuple[str | None, list[dict[str, Any]] | None]:
        """The node the facts are about and its conditions: the only node given, else the one
        named `host` (the pods' node when kubectl output alone is read); (None, None) when no
        node JSON was given. FactsError when several were given and none is that one."""
        if not self.node_conditions:
            return None, None
        names = list(self.node_conditions)
        name = names[0] if len(names) == 1 else (self.node or host)
        if name not in self.node_conditions:
            given = ", ".join(str(n) for n in names)
            raise FactsError(
                f"node JSON for {given}: which node is this? give that node's alone "
                "(`kubectl get node NAME -o json`)"
            )
        return name, self.node_conditions[name]

    def events_of_node(self, host: str | None) -> list[dict[str, Any]] | None:
        """The events about the node the facts are about: the only node the events name, else
        the one named `host` or the pods' node; None when no event was about it."""
        if len(self.node_events) == 1:
            return next(iter(self.node_events.values()))
        return self.node_events.get(self.node or host or "")

    def pod_keys(self) -> list[PodKey]:
        keys: dict[PodKey, None] = {}
        for table in (self.pods, self.described, self.events, self.described_events):
            keys.update(dict.fromkeys(table))
        return list(keys)


def read_evidence(files: Mapping[str, bytes]) -> Evidence:
    """Evidence from named files (names only label the errors and the sources)."""
    evidence = Evidence()
    for name, data in files.items():
        add_file(evidence, name, data)
    return evidence


def add_file(evidence: Evidence, name: str, data: bytes) -> None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise FactsError(f"{name}: not UTF-8 text: is this kubectl output?") from None
    if text.lstrip().startswith(("{", "[")):
        _add_json(evidence, name, text)
    elif looks_like_describe_node(text):
        node, conditions = parse_describe_node(text)
        evidence.node_conditions[node] = conditions
        node_events = events_section(text)
        if node and node_events:
            evidence.node_events.setdefault(node, []).extend(node_events)
        evidence.sources.append(f"kubectl describe node ({name})")
    elif looks_like_describe(text):
        parsed = parse_describe(text)
        key = (parsed["pod"]["namespace"], parsed["pod"]["name"])
        evidence.described[key] = parsed["pod"]
        if parsed["events"] is not None:
            evidence.described_events[key] = parsed["events"]
        evidence.node = evidence.node or parsed["node"]
        evidence.sources.append(f"kubectl describe pod ({name})")
    elif looks_like_events_table(text):
        _add_events_table(evidence, name, text)
    else:
        raise FactsError(
            f"{name}: neither kubectl JSON, `kubectl describe pod` nor `kubectl get events` output"
        )


def _add_events_table(evidence: Evidence, name: str, text: str) -> None:
    """Rows without a namespace go to the pod of that name already known (from describe or pod
    JSON read before), else to `default`, kubectl's namespace when none is set."""
    known = {pod: namespace for namespace, pod in evidence.pod_keys()}
    for namespace, pod, event in parse_events_table(text):
        key = (namespace or known.get(pod, "default"), pod)
        evidence.events.setdefault(key, []).append(event)
    evidence.sources.append(f"kubectl get events ({name})")


def _add_json(evidence: Evidence, name: str, text: str) -> None:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FactsError(f"{name}:{exc.lineno}: invalid JSON: {exc.msg}") from None
    except RecursionError:
        raise FactsError(f"{name}: JSON nested too deeply") from None
    items = data.get("items") if isinstance(data, dict) and "items" in data else [data]
    if not isinstance(items, list):
        raise FactsError(f"{name}: 'items' is not a list")
    kinds: set[str] = set()
    for item in items:
        if is_pod(item):
            parsed = parse_pod(item)
            pod = parsed["pod"]
            evidence.pods[(pod["namespace"], pod["name"])] = pod
            evidence.node = evidence.node or parsed["node"]
            kinds.add("get pod")
        elif is_event(item):
            _add_event(evidence, item)
            kinds.add("get events")
        elif is_node(item):
            node, conditions = parse_node(item)
            evidence.node_conditions[node] = conditions
            kinds.add("get node")
    if not kinds and items:
        raise FactsError(f"{name}: neither a Pod, an Event nor a Node (nor a List of them)")
    for kind in sorted(kinds):
        evidence.sources.append(f"kubectl {kind} -o json ({name})")


def _add_event(evidence: Evidence, item: dict[str, Any]) -> None:
    about_node = parse_node_event(item)
    if about_node is not None:
        evidence.node_events.setdefault(about_node[0], []).append(about_node[1])
        return
    parsed = parse_event(item)
    if parsed is None:
        return  # about a ReplicaSet, a Service...: neither a pod's nor the node's
    key, uid, event = parsed
    evidence.events.setdefault(key, []).append(event)
    if uid:
        evidence.uids.setdefault(key, uid)
