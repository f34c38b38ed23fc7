"""Evaluate a rule set over a facts document: pure, facts in, findings out, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from doctor.engine.conditions import Context, Missing, Verdict
from doctor.engine.loader import RuleSet
from doctor.engine.rule import Rule
from doctor.facts.document import FactsDocument
from doctor.layers import LayerStatus, Scope
from doctor.model import Finding, RuleFailure, Skip, Subject


@dataclass(frozen=True)
class Evaluation:
    findings: tuple[Finding, ...]
    skipped: tuple[Skip, ...]
    failures: tuple[RuleFailure, ...]
    rules_evaluated: int


def evaluate(rules: RuleSet, facts: FactsDocument) -> Evaluation:
    """Every rule over every object of its scope, top layer first."""
    document = facts.data
    contexts = _contexts(document)
    findings: list[Finding] = []
    skips: dict[tuple[str, _SkipReason], int] = {}
    failures: list[RuleFailure] = []
    decided = False  # whether the rule's own branch decided on some object of its scope
    for rule in rules.branches():  # a rule's node branch right after it: same id, node subject
        fired: dict[Subject, list[Hit]] = {}
        # The node branch is one more place to look for the rule's failure: when the node's
        # facts are missing it is skipped only if the rule's own branch decided nothing either,
        # or a pod whose events were read would count as "not examined" for want of node logs.
        count_skips = not (rule.node_branch and decided)
        decided = False
        for ctx, subject, attempt in contexts[rule.scope]:
            try:
                verdict = rule.when.evaluate(ctx)
                if verdict.value is True:
                    fired.setdefault(subject, []).append((attempt, verdict, ctx))
                elif verdict.value is None:
                    if count_skips:
                        why = _skip_reason(verdict.missing, facts)
                        skips[(rule.id, why)] = skips.get((rule.id, why), 0) + 1
                    continue
                decided = True
            except Exception as exc:  # a crashing rule is reported, never hidden as "no match"
                failures.append(_failure(rule, subject, exc))
        findings.extend(_newest_findings(rule, fired, failures))
    findings.sort(key=lambda f: (f.layer.depth, -f.severity.rank, str(f.subject)))
    skipped = tuple(
        Skip(rule_id, why.text, count, why.unexamined, why.facts_missing)
        for (rule_id, why), count in skips.items()
    )
    return Evaluation(tuple(findings), skipped, tuple(failures), len(rules))


ScopeContexts = list[tuple[Context, Subject, int | None]]


def _contexts(document: dict[str, Any]) -> dict[Scope, ScopeContexts]:
    """The objects each scope evaluates over, built once and shared by every rule."""
    shared: dict[Any, Any] = {}  # the document's memo (Context)
    node_context = Context(document, None, document, document_memo=shared)
    node: ScopeContexts = [(node_context, Subject(Scope.NODE), None)]
    pods: ScopeContexts = []
    containers: ScopeContexts = []
    for pod in document["pods"]:
        namespace, name = pod["namespace"], pod["name"]
        memo: dict[Any, Any] = {}  # the pod's, shared with its containers
        pod_context = Context(document, pod, pod, memo, memo, shared)
        pods.append((pod_context, Subject(Scope.POD, namespace, name), None))
        for container in pod["containers"]:
            subject = Subject(Scope.CONTAINER, namespace, name, container["name"])
            context = Context(document, pod, container, {}, memo, shared)
            containers.append((context, subject, container["attempt"]))
    return {Scope.NODE: node, Scope.POD: pods, Scope.CONTAINER: containers}


# A context the rule held on: the container attempt (None above container scope), why, where.
Hit = tuple[int | None, Verdict, Context]


def _newest_findings(
    rule: Rule, fired: dict[Subject, list[Hit]], failures: list[RuleFailure]
) -> list[Finding]:
    """One finding per rule and subject: the newest attempt's, listing every attempt it held on.

    Only that one is rendered: on a node of crash-looping pods most hits are older attempts.
    """
    findings: list[Finding] = []
    for subject, hits in fired.items():
        hits.sort(key=lambda hit: -1 if hit[0] is None else hit[0], reverse=True)
        _, verdict, ctx = hits[0]
        attempts = tuple(attempt for attempt, _, _ in hits if attempt is not None)
        try:
            findings.append(_finding(rule, verdict, ctx, subject, attempts))
        except Exception as exc:
            failures.append(_failure(rule, subject, exc))
    return findings


def _failure(rule: Rule, subject: Subject, exc: Exception) -> RuleFailure:
    return RuleFailure(rule.id, str(subject), f"{type(exc).__name__}: {exc}")


def _finding(
    rule: Rule, verdict: Verdict, ctx: Context, subject: Subject, attempts: tuple[int, ...]
) -> Finding:
    fields: dict[str, Any] = {
        "collected": ctx.document["collected"],
        "layers": ctx.document["layers"],
        **verdict.captures,
    }
    if rule.scope is not Scope.NODE:
        fields["pod"] = ctx.pod
    if rule.scope is Scope.CONTAINER:
        fields["container"] = ctx.scope
    return Finding(
        rule_id=rule.id,
        layer=rule.layer,
        severity=rule.severity,
        subject=subject,
        title=rule.title,
        message=rule.message.render(fields),
        fix=rule.fix.render(fields),
        evidence=verdict.evidence,
        docs=rule.docs,
        attempts=attempts,
        differential=_differential(rule, fields),
    )


def _differential(rule: Rule, fields: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """The rule's differential for this finding. An entry whose `tell` renders empty (all of it
    an optional section over a field this evidence did not capture) is left out: a rule that
    fires on an ambiguous line and on an explicit one lists the other causes for the first only."""
    rendered = ((d.cause, d.tell.render(fields).strip()) for d in rule.differential)
    return tuple((cause, tell) for cause, tell in rendered if tell)


class _SkipReason(NamedTuple):
    """Why a rule was undecided: the layers not examined (layer, why) and the other facts
    missing; `text` says both in one line."""

    unexamined: tuple[tuple[str, str], ...]
    facts_missing: tuple[str, ...]

    @property
    def text(self) -> str:
        layers = [f"{layer} layer not examined ({why})" for layer, why in self.unexamined]
        return "; ".join([*layers, *self.facts_missing])


def _skip_reason(missing: tuple[Missing, ...], facts: FactsDocument) -> _SkipReason:
    unexamined: list[tuple[str, str]] = []
    facts_missing: list[str] = []
    for item in missing:
        if item.layer is not None:
            section = facts.layer(item.layer)
            status = LayerStatus(section["status"])
            if status is not LayerStatus.OK:
                errors = section.get("errors") or []
                why = f": {errors[0]['message']}" if errors else ""
                entry = (item.layer.value, f"{status.value}{why}")
                if entry not in unexamined:
                    unexamined.append(entry)
                continue
        reason = f"{item.path}: {item.detail}"
        if reason not in facts_missing:
            facts_missing.append(reason)
    return _SkipReason(tuple(unexamined), tuple(facts_missing))
