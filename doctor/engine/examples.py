"""Run the examples every rule ships: facts fragments on which it must fire or stay quiet.

A fragment is completed into a whole facts document (every layer `ok`, one pod `default/example`
with one container `app` where the rule's scope needs them), validated against the facts schema
so that examples cannot drift from it, and evaluated with the rule alone.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from typing import Any

from doctor.engine.evaluate import evaluate
from doctor.engine.loader import RuleSet
from doctor.engine.rule import Example, Rule
from doctor.errors import FactsError
from doctor.facts.document import SCHEMA_VERSION, FactsDocument, parse_facts
from doctor.layers import LAYER_NAMES, Scope


@dataclass(frozen=True)
class ExampleResult:
    rule_id: str
    example: Example
    passed: bool
    detail: str

    def __str__(self) -> str:
        kind = "fires" if self.example.fires else "quiet"
        verdict = "ok" if self.passed else "FAIL"
        return f"{self.example.source}: {self.rule_id} [{kind}] {verdict}: {self.detail}"


def base_document() -> dict[str, Any]:
    return {
        "schema": SCHEMA_VERSION,
        "collected": {"at": "2026-01-01T00:00:00Z", "host": "example-node", "source": "fixture"},
        "layers": {name: {"status": "ok", "errors": []} for name in LAYER_NAMES},
        "pods": [],
    }


def example_document(rule: Rule, fragment: dict[str, Any]) -> dict[str, Any]:
    """The whole facts document an example fragment stands for."""
    document = base_document()
    fragment = copy.deepcopy(fragment)
    if "collected" in fragment:
        document["collected"].update(fragment["collected"])
    for name, section in fragment.get("layers", {}).items():
        document["layers"].setdefault(name, {}).update(section)
    if "pods" in fragment:
        document["pods"] = fragment["pods"]
    elif rule.scope is not Scope.NODE or "pod" in fragment or "container" in fragment:
        pod: dict[str, Any] = {
            "name": "example",
            "namespace": "default",
            "uid": "0000",
            "containers": [],
        }
        pod.update(fragment.get("pod", {}))
        if "container" in fragment or (rule.scope is Scope.CONTAINER and not pod["containers"]):
            container: dict[str, Any] = {"name": "app", "attempt": 0}
            container.update(fragment.get("container", {}))
            pod["containers"] = [*pod["containers"], container]
        document["pods"] = [pod]
    return document


def run_examples(rules: RuleSet) -> list[ExampleResult]:
    results: list[ExampleResult] = []
    for rule in rules.branches():  # a node branch's examples test it alone
        alone = RuleSet((replace(rule, node=None),))
        for example in rule.examples:
            results.append(_run_one(rule, alone, example))
    return results


def _run_one(rule: Rule, alone: RuleSet, example: Example) -> ExampleResult:
    try:
        facts: FactsDocument = parse_facts(
            example_document(rule, example.fragment), str(example.source)
        )
    except FactsError as exc:
        return ExampleResult(
            rule.id, example, False, f"fragment is not a valid facts document: {exc}"
        )
    outcome = evaluate(alone, facts)
    if outcome.failures:
        return ExampleResult(rule.id, example, False, f"rule raised: {outcome.failures[0].error}")
    if example.fires:
        if not outcome.findings:
            why = f"skipped: {outcome.skipped[0].reason}" if outcome.skipped else "stayed quiet"
            return ExampleResult(rule.id, example, False, f"expected to fire, {why}")
        message = outcome.findings[0].message
        if example.message_contains and example.message_contains not in message:
            return ExampleResult(
                rule.id, example, False, f"message {message!r} lacks {example.message_contains!r}"
            )
        return ExampleResult(rule.id, example, True, message)
    if outcome.findings:
        return ExampleResult(
            rule.id, example, False, f"expected quiet, fired: {outcome.findings[0].message}"
        )
    if outcome.skipped:
        return ExampleResult(
            rule.id, example, False, f"expected quiet, was skipped: {outcome.skipped[0].reason}"
        )
    return ExampleResult(rule.id, example, True, "quiet")
