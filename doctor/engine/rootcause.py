"""Pick the root cause among findings and the chain of symptoms it explains.

A finding that another finding `explains` (same subject, or a wider one: a node finding covers
every pod) is a symptom. Among the findings left, the root cause is the most severe, and the
deepest layer on ties. The chain walks `explains` edges from the root cause up to the topmost
symptom (a pod's before the node's), the way an operator traces backwards through the layers.
See docs/diagnosis.md.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from doctor.engine.loader import RuleSet
from doctor.layers import Scope, Severity
from doctor.model import Finding, RootCause

MIN_ROOT_SEVERITY = Severity.WARNING


@dataclass(frozen=True)
class CauseGraph:
    """`causes[f]`: findings that explain f; `effects[g]`: findings g explains (by key)."""

    causes: dict[str, tuple[str, ...]]
    effects: dict[str, tuple[str, ...]]


def _pod(finding: Finding) -> tuple[str | None, str | None]:
    return finding.subject.namespace, finding.subject.pod


def cause_graph(findings: Sequence[Finding], rules: RuleSet) -> CauseGraph:
    """Every `explains` edge between findings whose subjects allow it.

    Findings are indexed by rule and pod, so a container's cause is matched only against its own
    pod's findings: linear in findings, not quadratic, on a node with thousands of pods.
    """
    causes: dict[str, list[str]] = {}
    effects: dict[str, list[str]] = {}
    by_rule: dict[str, list[Finding]] = {}
    by_rule_and_pod: dict[tuple[str, str | None, str | None], list[Finding]] = {}
    for finding in findings:
        by_rule.setdefault(finding.rule_id, []).append(finding)
        by_rule_and_pod.setdefault((finding.rule_id, *_pod(finding)), []).append(finding)
    for cause in findings:
        rule = rules.of(cause)  # a pod rule's node branch explains nothing
        for explained_id in rule.explains if rule else ():
            if cause.subject.kind is Scope.NODE:
                candidates = by_rule.get(explained_id, [])
            else:
                candidates = by_rule_and_pod.get((explained_id, *_pod(cause)), [])
            for effect in candidates:
                if effect is not cause and cause.subject.covers(effect.subject):
                    causes.setdefault(effect.key, []).append(cause.key)
                    effects.setdefault(cause.key, []).append(effect.key)
    return CauseGraph(
        {k: tuple(v) for k, v in causes.items()}, {k: tuple(v) for k, v in effects.items()}
    )


class PodIndex:
    """Findings grouped for per-pod questions, built once per diagnosis."""

    def __init__(self, findings: Sequence[Finding], unexaminable: Callable[[Finding], bool]):
        self.by_key = {f.key: f for f in findings}
        self.order = {f.key: position for position, f in enumerate(findings)}

        self.by_pod: dict[tuple[str | None, str | None], list[str]] = {}
        for finding in findings:
            if finding.subject.kind is not Scope.NODE:
                self.by_pod.setdefault(_pod(finding), []).append(finding.key)
        # A node finding in a layer that could not be examined blinded us to every pod.
        self.blinding = [
            f.key for f in findings if f.subject.kind is Scope.NODE and unexaminable(f)
        ]


def connected_to_pod(index: PodIndex, graph: CauseGraph, namespace: str, name: str) -> set[str]:
    """Keys of findings about the pod, or node findings that explain one or blinded us to it."""
    connected = set(index.by_pod.get((namespace, name), ())) | set(index.blinding)
    frontier = list(connected)
    while frontier:  # everything that (transitively) explains a connected finding
        key = frontier.pop()
        for cause in graph.causes.get(key, ()):
            if cause not in connected:
                connected.add(cause)
                frontier.append(cause)
    # ...and the other symptoms of those causes on the node or in this pod: the NotReady node
    # that containerd being down also caused is part of this pod's story, not node health.
    frontier = list(connected)
    while frontier:
        key = frontier.pop()
        for effect in graph.effects.get(key, ()):
            subject = index.by_key[effect].subject
            if effect not in connected and (
                subject.kind is Scope.NODE or subject.in_pod(namespace, name)
            ):
                connected.add(effect)
                frontier.append(effect)
    return connected


def root_cause(
    findings: Sequence[Finding], graph: CauseGraph, eligible: set[str]
) -> RootCause | None:
    by_key = {f.key: f for f in findings}
    return root_cause_among(by_key, graph, eligible)


def root_cause_among(
    by_key: dict[str, Finding],
    graph: CauseGraph,
    eligible: set[str],
    order: dict[str, int] | None = None,
) -> RootCause | None:
    """The root cause among the `eligible` findings (looked at alone: no pass over all).

    `order` is each finding's position in the report (computed here when not given; a caller
    asking for many pods passes it once).
    """

    def could_be_root(key: str) -> bool:
        return key in eligible and by_key[key].severity.rank >= MIN_ROOT_SEVERITY.rank

    def explained(key: str) -> bool:
        # A symptom only when something that could itself be the root explains it: an
        # info-level cause must not hide the error it explains.
        return any(could_be_root(cause) for cause in graph.causes.get(key, ()))

    # Findings come top layer first and max() keeps the first of equals: ties go to the order.
    order = order if order is not None else {key: n for n, key in enumerate(by_key)}

    candidates = sorted(
        (key for key in eligible if could_be_root(key) and not explained(key)),
        key=order.__getitem__,
    )
    if not candidates:
        return None
    root = max(candidates, key=lambda k: (by_key[k].severity.rank, by_key[k].layer.depth))
    path = _longest_upward_path(root, graph, eligible, by_key)
    return RootCause(by_key[root], tuple(by_key[k] for k in reversed(path)))


def _longest_upward_path(
    start: str, graph: CauseGraph, eligible: set[str], by_key: dict[str, Finding]
) -> list[str]:
    """From the root cause through the symptoms it explains, to the topmost layer reached —
    a symptom of a pod before one of the whole node: the pod's own trouble is what its user
    sees (its network not ready, rather than the node NotReady the same cause also makes)."""
    best: list[str] = [start]

    def score(path: list[str]) -> tuple[bool, int, int]:
        top = by_key[path[-1]]
        return (top.subject.kind is not Scope.NODE, -top.layer.depth, len(path))

    def walk(path: list[str]) -> None:
        nonlocal best
        if score(path) > score(best):
            best = list(path)
        for effect in graph.effects.get(path[-1], ()):
            if effect in eligible and effect not in path:
                walk([*path, effect])

    walk([start])
    return best
