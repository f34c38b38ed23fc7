"""Facts and rules in, a Report out: evaluate, find the root cause, give each layer a verdict."""

from __future__ import annotations

from doctor.engine.evaluate import evaluate
from doctor.engine.loader import RuleSet
from doctor.engine.rootcause import (
    CauseGraph,
    PodIndex,
    cause_graph,
    connected_to_pod,
    root_cause,
    root_cause_among,
)
from doctor.facts.document import FactsDocument, PodRef
from doctor.gc_pause import paused_gc
from doctor.layers import LAYER_ORDER, LayerStatus, Scope
from doctor.model import (
    Candidate,
    Finding,
    LayerVerdict,
    PodSummary,
    Report,
    RootCause,
    Skip,
    Target,
)
from doctor.timeline.evidence import bind
from doctor.timeline.window import windowed


def diagnose(
    facts: FactsDocument,
    rules: RuleSet,
    pod: PodRef | None = None,
    node_only: bool = False,
    since_seconds: float | None = None,
) -> Report:
    """Diagnose one pod (narrowing the facts to it) or, with pod None, the whole node.

    A document holding exactly one pod is diagnosed as that pod, unless `node_only`. A node
    diagnosis also gives each pod in the document its own root cause. Log lines and events
    older than a pod's current sandbox, or than `since_seconds` before the collection for the
    node's own logs, are not evidence (timeline/window.py).
    """
    with paused_gc():  # millions of verdicts and findings on a large node, and no cycles
        return _diagnose(facts, rules, pod, node_only, since_seconds)


def _diagnose(
    facts: FactsDocument,
    rules: RuleSet,
    pod: PodRef | None,
    node_only: bool,
    since_seconds: float | None,
) -> Report:
    if pod is not None:
        facts = facts.only_pod(pod)
    elif len(facts.pods()) == 1 and not node_only:
        only = facts.pods()[0]
        pod = PodRef(only["namespace"], only["name"])
    # the timeline is what happened, all of it: entry ids are paths into the whole facts
    whole, window = facts, windowed(facts, since_seconds, pod is not None)
    facts = window.facts
    evaluation = evaluate(rules, facts)
    findings = evaluation.findings
    graph = cause_graph(findings, rules)

    def unexaminable(finding: Finding) -> bool:
        # A pod rule's node branch (a pull no pod made) says nothing of the layer as a whole.
        rule = rules.of(finding)
        if rule is not None and rule.node_branch:
            return False
        return facts.layer_status(finding.layer) is not LayerStatus.OK

    index = PodIndex(findings, unexaminable)

    def connected(ref: PodRef) -> set[str]:
        return connected_to_pod(index, graph, ref.namespace, ref.name)

    eligible = {f.key for f in findings} if pod is None else connected(pod)
    summaries: tuple[PodSummary, ...] = ()
    if pod is None:
        summaries = tuple(
            _summary(ref, index, graph, connected(ref))
            for ref in (PodRef(p["namespace"], p["name"]) for p in facts.pods())
        )
    cause = root_cause(findings, graph, eligible)
    timeline, evidence = bind(whole, pod, findings, lambda f: f.key in eligible, window.start)
    return Report(
        target=Target(facts.host, pod.namespace if pod else None, pod.name if pod else None),
        collected=dict(facts.data["collected"]),
        layers=_layer_verdicts(facts, findings),
        findings=findings,
        root_cause=cause,
        differential=_differential(cause, findings, evaluation.skipped, rules),
        node_health=tuple(f.key for f in findings if f.key not in eligible),
        skipped=evaluation.skipped,
        failures=evaluation.failures,
        rule_ids=tuple(rule.id for rule in rules.rules),
        source=facts.origin,
        explained=graph.causes,
        pods=summaries,
        timeline=timeline,
        evidence_entries=evidence,
        too_old=window.too_old,
    )


def _differential(
    cause: RootCause | None,
    findings: tuple[Finding, ...],
    skipped: tuple[Skip, ...],
    rules: RuleSet,
) -> tuple[Candidate, ...]:
    """The causes the root cause's evidence also fits (its rule's `differential`), each with
    what the facts say of it and the one command or file that decides it."""
    if cause is None or not cause.finding.differential:
        return ()
    subject = cause.finding.subject

    def about(finding: Finding) -> bool:
        if finding.subject.covers(subject) or subject.covers(finding.subject):
            # a pull no pod made (a pod rule's node branch) is no sign about a pod's own cause
            rule = rules.of(finding)
            return rule is None or not rule.node_branch or subject.kind is Scope.NODE
        return False

    fired = {f.rule_id for f in findings if about(f)}
    why_skipped = {skip.rule_id: skip.reason for skip in skipped}
    candidates = []
    for rule_id, tell in cause.finding.differential:
        rule = rules.get(rule_id)
        if rule_id in fired:
            seen = "fired"
        elif rule_id in why_skipped:
            seen = f"not examined: {why_skipped[rule_id]}"
        else:
            seen = "no sign in the facts"
        candidates.append(Candidate(rule_id, rule.title if rule else rule_id, tell, seen))
    return tuple(candidates)


def _summary(ref: PodRef, index: PodIndex, graph: CauseGraph, eligible: set[str]) -> PodSummary:
    cause = root_cause_among(index.by_key, graph, eligible, index.order)
    own = len(index.by_pod.get((ref.namespace, ref.name), ()))
    return PodSummary(ref.namespace, ref.name, cause.finding if cause else None, own)


def _layer_verdicts(
    facts: FactsDocument, findings: tuple[Finding, ...]
) -> tuple[LayerVerdict, ...]:
    verdicts: list[LayerVerdict] = []
    for layer in LAYER_ORDER:
        section = facts.layer(layer)
        status = LayerStatus(section["status"])
        reason = None
        if status is not LayerStatus.OK:
            errors = section.get("errors") or []
            reason = f"{errors[0]['source']}: {errors[0]['message']}" if errors else status.value
        keys = tuple(f.key for f in findings if f.layer is layer)
        verdicts.append(LayerVerdict(layer, status, keys, reason))
    return tuple(verdicts)
