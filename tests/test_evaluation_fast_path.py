"""The evaluation's shortcuts change no answer: fact paths walked once per object and verdicts
of predicates over the pod or the document worked out once (Context's memos), and regexes that
skip lines without the text every match contains (LazyRegex's prefilter). A node of many
different pods is diagnosed with and without them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bench.analyze_scale import scaled_document
from doctor.diagnosis import diagnose
from doctor.engine.conditions import Context, Predicate
from doctor.engine.loader import load_rules
from doctor.engine.operators import LazyRegex
from doctor.facts.document import PodRef, parse_facts
from doctor.report import formatter
from tests.conftest import REPO

SOURCES = [
    "k8s-crash-loop",
    "k8s-oom-kill",
    "k8s-image-tls",
    "k8s-exit-zero",
    "k8s-permission-denied",
    "k8s-segfault",
    "k8s-pids-exhausted",
    "k8s-cpu-throttling",
    "k8s-subpath-over-directory",
    "k8s-cni-ip-exhausted",
    "k8s-shim-killed",
]


def many_pods() -> dict[str, Any]:
    """Three copies of the pod of each lab capture, on the node of the first."""
    documents = [
        scaled_document(3, REPO / "fixtures" / "scenarios" / f"{name}.json") for name in SOURCES
    ]
    node = documents[0]
    node["pods"] = [pod for document in documents for pod in document["pods"]]
    return node


def reports(pod: PodRef | None) -> list[str]:
    facts = parse_facts(many_pods(), "many.json")
    report = diagnose(facts, load_rules(), pod)  # fresh rules: no regex has learned anything
    return [formatter(name)(report) for name in ("json", "text")]


@pytest.mark.parametrize(
    "pod", [None, PodRef("default", "crash-loop-1"), PodRef("default", "oom-kill-2")]
)
def test_shortcuts_change_no_report(pod: PodRef | None, monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as plain:
        plain.setattr(LazyRegex, "PREFILTER_AFTER", 10**9)
        plain.setattr(
            Context, "values", lambda ctx, path: path.values(ctx.document, ctx.pod, ctx.scope)
        )
        plain.setattr(Predicate, "evaluate", Predicate._evaluate)
        expected = reports(pod)
    monkeypatch.setattr(LazyRegex, "PREFILTER_AFTER", 1)  # every regex learns at once
    got = reports(pod)
    assert got == expected
    findings = json.loads(got[0])["findings"]
    assert len(findings) > (10 if pod is None else 0)


def test_the_prefilter_is_in_use_on_a_large_node() -> None:
    rules = load_rules()
    diagnose(parse_facts(many_pods(), "many.json"), rules)
    learned = [
        predicate.value
        for rule in rules.rules
        for predicate in rule.when.predicates()
        if isinstance(predicate.value, LazyRegex) and predicate.value._required is not None
    ]
    assert len(learned) >= 5  # the regexes over the log lines of every pod


def test_each_question_is_decided_once_per_object(monkeypatch: pytest.MonkeyPatch) -> None:
    """A predicate over the pod once per pod (not per container), and equal predicates of
    different rules (`state eq CONTAINER_EXITED`) once per container."""
    decided: list[tuple[int, int]] = []
    decide = Predicate._evaluate

    def counted(predicate: Predicate, ctx: Context) -> object:
        reads_pod = predicate.fact.text.startswith("pod.")
        decided.append((predicate._key, id(ctx.pod if reads_pod else ctx.scope)))
        return decide(predicate, ctx)

    monkeypatch.setattr(Predicate, "_evaluate", counted)
    document = many_pods()
    containers = sum(len(pod["containers"]) for pod in document["pods"])
    assert containers > len(document["pods"])  # pods with several container attempts
    rules = load_rules()
    diagnose(parse_facts(document, "many.json"), rules)
    assert len(decided) == len(set(decided))
    asked = [p for rule in rules.rules for p in rule.when.predicates() if p.fact.text == "state"]
    assert len({p._key for p in asked}) < len(asked)
