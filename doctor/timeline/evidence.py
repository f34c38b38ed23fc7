"""Which timeline entries a finding's evidence is: the log lines and events it matched, the
container attempts it fired on, the sandbox it read.

Evidence names a fact path (`pod.kubelet_log[*].message`) and the values seen there; an entry's
id is the path of the fact that carries its time (`kubelet_log[3].time`). A matched line is
found by its text in each list the timeline has of that component's lines: a node-level rule's
containerd line is also the pod's own copy of it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from doctor.facts.document import FactsDocument, PodRef
from doctor.layers import Layer, Scope
from doctor.model import Evidence, Finding, Timeline, TimelineEntry
from doctor.timeline.build import DMESG, NO_ZONE, timeline_for
from doctor.timeline.moments import instant
from doctor.timeline.window import ANY_ZONE

# A list of timed facts in an evidence path, and the field matched: `pod.events[*].reason`.
_LISTED = re.compile(
    r"(?:pod\.)?(?P<list>\$\.layers\.(?:kubelet|containerd)\.log|\$\.layers\.node\.kernel_log"
    r"|kubelet_log|containerd_log|events)\[[^\]]*\]\.(?P<field>\w+)"
)
# The lists holding one component's lines: the pod's own, and the node's.
_SAME_LINES = {
    "kubelet_log": ("kubelet_log", "$.layers.kubelet.log"),
    "$.layers.kubelet.log": ("kubelet_log", "$.layers.kubelet.log"),
    "containerd_log": ("containerd_log", "$.layers.containerd.log"),
    "$.layers.containerd.log": ("containerd_log", "$.layers.containerd.log"),
    "$.layers.node.kernel_log": ("$.layers.node.kernel_log",),
    "events": ("events",),
}
_TIME_FIELDS = {"events": ("first_seen", "last_seen")}
# An attempt's entries, the one that best stands for what happened to it first.
_ATTEMPT_TIMES = ("finished_at", "started_at", "created_at")


def bind(
    facts: FactsDocument,
    pod: PodRef | None,
    findings: Sequence[Finding],
    connected: Callable[[Finding], bool],
    not_before: int | None = None,
) -> tuple[Timeline, dict[str, tuple[str, ...]]]:
    """The target's timeline and, by finding key, the ids of the entries that are its evidence.

    A pod's timeline also gets the node's entries that are evidence of a finding connected to
    the pod: the containerd line of a node-level root cause that names no pod uid. A line or
    event before `not_before` (the window's start, window.py) was not evidence, even when a
    later one with the same text was.
    """
    found = facts.find_pod(pod) if pod is not None else None
    node_built = timeline_for(facts.data, None)
    node = _entries(node_built)
    if found is None:
        own, clock_off = node, node_built["clock_off"]
        candidates = own
    else:
        built = timeline_for(facts.data, found)
        own, clock_off = _entries(built), built["clock_off"]
        candidates = own + node
    if not_before is not None:
        candidates = [e for e in candidates if not _too_old(e, not_before)]
    index = EvidenceIndex(facts, pod if found is not None else None, candidates)
    bound = {f.key: ids for f in findings if (ids := index.entries(f))}
    if found is not None:
        have = {entry.id for entry in own}
        wanted = {
            ident
            for finding in findings
            if connected(finding)
            for ident in bound.get(finding.key, ())
            if ident not in have
        }
        own = _merged(own, [entry for entry in node if entry.id in wanted])
    present = {entry.id for entry in own}
    bound = {key: kept for key, idents in bound.items() if (kept := _kept(idents, present))}
    subject = str(pod) if found is not None else "node"
    return Timeline(subject, tuple(own), _clock_off(clock_off)), bound


def _too_old(entry: TimelineEntry, not_before: int) -> bool:
    """A log line or event before the window (the attempts a finding fired on always count)."""
    if entry.source in ("cri", "cgroup", "collection"):
        return False
    moment = instant(entry.time)  # zoned: the timeline placed it ...
    if moment is not None and entry.note in (NO_ZONE, DMESG):
        moment += ANY_ZONE  # ... as UTC in a zone it did not know: as the window reads it
    return moment is not None and moment < not_before


def _entries(built: Mapping[str, Any]) -> list[TimelineEntry]:
    return [
        TimelineEntry(
            id=e["id"],
            time=e["time"],
            layer=Layer(e["layer"]) if e["layer"] is not None else None,
            source=e["source"],
            what=e["what"],
            note=e.get("note"),
        )
        for e in built["entries"]
    ]


def _merged(own: list[TimelineEntry], more: list[TimelineEntry]) -> list[TimelineEntry]:
    """Both, in order: by instant, the pod's own first on a tie."""
    if not more:
        return own
    keyed = [(instant(e.time) or 0, rank, e) for rank, e in enumerate([*own, *more])]
    keyed.sort(key=lambda item: (item[0], item[1]))
    return [entry for _, _, entry in keyed]


def _kept(idents: tuple[str, ...], ids: set[str]) -> tuple[str, ...]:
    return tuple(ident for ident in idents if ident in ids)


def _clock_off(clock_off: list[Mapping[str, Any]]) -> tuple[str, ...]:
    return tuple(
        f"{c['source']}: {c['entries']} entries after the collection ended"
        f" (up to {c['ahead_seconds']} s after it started)"
        for c in clock_off
    )


class EvidenceIndex:
    """Finds a finding's entries in one timeline; each list is indexed on first use."""

    def __init__(
        self, facts: FactsDocument, pod: PodRef | None, entries: Iterable[TimelineEntry]
    ) -> None:
        self._document = facts.data
        self._pod: Mapping[str, Any] | None = facts.find_pod(pod) if pod is not None else None
        self._ref = pod if self._pod is not None else None
        self._ids = {entry.id for entry in entries}
        self._by_text: dict[tuple[str, str], dict[str, list[int]]] = {}

    def entries(self, finding: Finding) -> tuple[str, ...]:
        found: dict[str, None] = {}  # ordered, without repeats
        for evidence in finding.evidence:
            if evidence.negated:  # what a `not` saw did not match: it is not what happened
                continue
            for ident in self._of(finding, evidence):
                if ident in self._ids:
                    found[ident] = None
        return tuple(found)

    def _of(self, finding: Finding, evidence: Evidence) -> Iterable[str]:
        path = evidence.path.split(" / ")[0]  # a ratio's numerator
        listed = _LISTED.fullmatch(path)
        if listed:
            for text in set(_texts(evidence.value)):
                yield from self._line(listed["list"], listed["field"], text)
            return
        if not self._mine(finding):
            return
        relative = path.removeprefix("pod.")
        if relative.startswith("sandbox"):
            yield "sandbox.created_at"
        elif finding.subject.kind is Scope.CONTAINER and not path.startswith(("pod.", "$.")):
            yield from self._attempts(finding, cgroup=relative.startswith("cgroup"))

    def _line(self, listed: str, field: str, text: str) -> list[str]:
        """The entries of a matched line: in the pod's own list when it is there (a node list
        holds the same line again), else in the node's."""
        for name in _SAME_LINES[listed]:
            times = _TIME_FIELDS.get(name, ("time",))
            idents = [
                ident
                for index in self._matching(name, field, text)
                for ident in (f"{name}[{index}].{time}" for time in times)
                if ident in self._ids
            ]
            if idents:
                return idents
        return []

    def _mine(self, finding: Finding) -> bool:
        """Whether the finding is about the timeline's pod (its attempts are entries here)."""
        ref = self._ref
        return ref is not None and finding.subject.in_pod(ref.namespace, ref.name)

    def _attempts(self, finding: Finding, cgroup: bool) -> Iterable[str]:
        assert self._pod is not None
        wanted = set(finding.attempts)
        for index, container in enumerate(self._pod.get("containers") or []):
            if container.get("name") != finding.subject.container:
                continue
            if wanted and container.get("attempt") not in wanted:
                continue
            path = f"containers[{index}]"
            if cgroup:
                yield f"{path}.cgroup.memory.oom_kill_events"
            times = (f"{path}.{field}" for field in _ATTEMPT_TIMES)
            first = next((ident for ident in times if ident in self._ids), None)
            if first is not None:
                yield first

    def _matching(self, name: str, field: str, text: str) -> list[int]:
        index = self._by_text.get((name, field))
        if index is None:
            index = self._by_text[(name, field)] = {}
            for position, item in enumerate(self._list(name)):
                value = item.get(field) if isinstance(item, dict) else None
                if isinstance(value, str):
                    index.setdefault(value, []).append(position)
        return index.get(text, [])

    def _list(self, name: str) -> list[Any]:
        if name.startswith("$."):
            node: Any = self._document
            for key in name[2:].split("."):
                node = node.get(key) if isinstance(node, dict) else None
        else:
            node = self._pod.get(name) if self._pod is not None else None
        return node if isinstance(node, list) else []


def _texts(value: object) -> Iterable[str]:
    """The strings a predicate saw: one, a list of them, or a count's shown values."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _texts(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _texts(item)
