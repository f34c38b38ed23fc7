"""Facts and rules in, a Report out: evaluate, find the root cause, give each layer a verdict."""

from __future__ import annotations

from doctor.engine.evaluate import evaluate
from doctor.engine.loader import RuleSet
from doctor.engine.rootcause import cause_graph, connected_to_pod, root_cause
from doctor.facts.document import FactsDocument, PodRef
from doctor.layers import LAYER_ORDER, LayerStatus
from doctor.model import Finding, LayerVerdict, Report, Target


def diagnose(facts: FactsDocument, rules: RuleSet, pod: PodRef | None = None) -> Report:
    """Diagnose one pod (narrowing the facts to it) or, with pod None, the whole node.

    A document holding exactly one pod is diagnosed as that pod.
    """
    if pod is not None:
        facts = facts.only_pod(pod)
    elif len(facts.pods()) == 1:
        only = facts.pods()[0]
        pod = PodRef(only["namespace"], only["name"])
    evaluation = evaluate(rules, facts)
    findings = evaluation.findings
    graph = cause_graph(findings, rules)

    def unexaminable(finding: Finding) -> bool:
        return facts.layer_status(finding.layer) is not LayerStatus.OK

    if pod is None:
        eligible = {f.key for f in findings}
    else:
        eligible = connected_to_pod(findings, graph, pod.namespace, pod.name, unexaminable)
    return Report(
        target=Target(facts.host, pod.namespace if pod else None, pod.name if pod else None),
        collected=dict(facts.data["collected"]),
        layers=_layer_verdicts(facts, findings),
        findings=findings,
        root_cause=root_cause(findings, graph, eligible),
        node_health=tuple(f.key for f in findings if f.key not in eligible),
        skipped=evaluation.skipped,
        failures=evaluation.failures,
        rule_ids=tuple(rule.id for rule in rules.rules),
        source=facts.origin,
        explained=graph.causes,
    )


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
