"""Pick the root cause among findings and the chain of symptoms it explains.

A finding that another finding `explains` (same subject, or a wider one: a node finding covers
every pod) is a symptom. Among the findings left, the root cause is the most severe, and the
deepest layer on ties. The chain walks `explains` edges from the root cause up to the topmost
symptom, the way an operator traces backwards through the layers. See docs/diagnosis.md.
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


def cause_graph(findings: Sequence[Finding], rules: RuleSet) -> CauseGraph:
    causes: dict[str, list[str]] = {}
    effects: dict[str, list[str]] = {}
    by_rule: dict[str, list[Finding]] = {}
    for finding in findings:
        by_rule.setdefault(finding.rule_id, []).append(finding)
    for cause in findings:
        rule = rules.get(cause.rule_id)
        for explained_id in rule.explains if rule else ():
            for effect in by_rule.get(explained_id, ()):
                if effect is not cause and cause.subject.covers(effect.subject):
                    causes.setdefault(effect.key, []).append(cause.key)
                    effects.setdefault(cause.key, []).append(effect.key)
    return CauseGraph(
        {k: tuple(v) for k, v in causes.items()}, {k: tuple(v) for k, v in effects.items()}
    )


def connected_to_pod(
    findings: Sequence[Finding],
    graph: CauseGraph,
    namespace: str,
    name: str,
    unexaminable: Callable[[Finding], bool],
) -> set[str]:
    """Keys of findings about the pod, or node findings that explain one or blinded us to it."""
    connected = {f.key for f in findings if f.subject.in_pod(namespace, name)}
    connected |= {f.key for f in findings if f.subject.kind is Scope.NODE and unexaminable(f)}
    frontier = list(connected)
    while frontier:  # everything that (transitively) explains a connected finding
        key = frontier.pop()
        for cause in graph.causes.get(key, ()):
            if cause not in connected:
                connected.add(cause)
                frontier.append(cause)
    # ...and the other symptoms of those causes: the NotReady node that containerd being down
    # also caused is part of this pod's story, not unrelated node health.
    frontier = list(connected)
    while frontier:
        key = frontier.pop()
        for effect in graph.effects.get(key, ()):
            if effect not in connected:
                connected.add(effect)
                frontier.append(effect)
    return connected


def root_cause(
    findings: Sequence[Finding], graph: CauseGraph, eligible: set[str]
) -> RootCause | None:
    by_key = {f.key: f for f in findings}

    def could_be_root(finding: Finding) -> bool:
        return finding.key in eligible and finding.severity.rank >= MIN_ROOT_SEVERITY.rank

    # A finding is a symptom only when something that could itself be the root explains it: an
    # info-level cause must not hide the error it explains.
    explained = {
        key for key, causes in graph.causes.items() if any(could_be_root(by_key[c]) for c in causes)
    }
    candidates = [f for f in findings if could_be_root(f) and f.key not in explained]

    if not candidates:
        return None
    # max() keeps the first of equals, and findings come top layer first: flip depth to prefer deep.
    root = max(candidates, key=lambda f: (f.severity.rank, f.layer.depth))
    path = _longest_upward_path(root.key, graph, eligible, by_key)
    return RootCause(root, tuple(by_key[k] for k in reversed(path)))


def _longest_upward_path(
    start: str, graph: CauseGraph, eligible: set[str], by_key: dict[str, Finding]
) -> list[str]:
    """From the root cause through the symptoms it explains, to the topmost layer reached."""
    best: list[str] = [start]

    def score(path: list[str]) -> tuple[int, int]:
        return (-by_key[path[-1]].layer.depth, len(path))

    def walk(path: list[str]) -> None:
        nonlocal best
        if score(path) > score(best):
            best = list(path)
        for effect in graph.effects.get(path[-1], ()):
            if effect in eligible and effect not in path:
                walk([*path, effect])

    walk([start])
    return best
