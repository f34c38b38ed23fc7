"""`--output prometheus`: the textfile-collector format, checked with prometheus_client's
own parser (label escaping included)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from doctor.diagnosis import diagnose
from doctor.engine.loader import load_rules
from doctor.facts.document import parse_facts
from doctor.model import Report
from doctor.report import formatter
from doctor.report.prometheus import escape_label
from tests.conftest import REPO, oom_pod

RULES = load_rules()


def report_of(document: dict[str, Any]) -> Report:
    return diagnose(parse_facts(document, "test.json"), RULES, node_only=True)


def scenario(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((REPO / "fixtures/scenarios" / f"{name}.json").read_text())
    return data


def samples(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    families = {family.name: family for family in text_string_to_metric_families(text)}
    for family in families.values():
        assert family.type == "gauge" and family.documentation
    return {
        name: [(sample.labels, sample.value) for sample in family.samples]
        for name, family in families.items()
    }


def test_findings_layers_duration_and_rules() -> None:
    report = replace(report_of(scenario("containerd-down")), duration_seconds=0.42)
    parsed = samples(formatter("prometheus")(report))
    findings = {labels["rule"]: labels for labels, value in parsed["stackdoctor_finding"]}
    assert set(findings) == {f.rule_id for f in report.findings}
    assert findings["cri.unreachable"] == {
        "rule": "cri.unreachable",
        "layer": "cri",
        "severity": "critical",
        "namespace": "",
        "pod": "",
        "container": "",
    }
    assert all(value == 1 for _, value in parsed["stackdoctor_finding"])
    layers = {labels["layer"]: (labels, value) for labels, value in parsed["stackdoctor_layer_up"]}
    assert layers["cri"] == ({"layer": "cri", "reason": "unreachable"}, 0)
    assert layers["kubelet"] == ({"layer": "kubelet"}, 1)
    assert len(layers) == 8
    assert parsed["stackdoctor_check_duration_seconds"] == [({}, 0.42)]
    assert parsed["stackdoctor_rules_loaded"] == [({}, len(RULES))]
    ((_, at),) = parsed["stackdoctor_last_run_timestamp_seconds"]
    expected = datetime(2026, 11, 29, 10, 47, 58, 19377, tzinfo=UTC).timestamp()
    assert at == pytest.approx(expected, abs=0.001)


def test_container_findings_carry_their_pod() -> None:
    document = scenario("healthy")
    document["pods"] = [oom_pod()]
    parsed = samples(formatter("prometheus")(report_of(document)))
    labels = next(
        labels
        for labels, _ in parsed["stackdoctor_finding"]
        if labels["rule"] == "process.oom-killed"
    )
    assert (labels["namespace"], labels["pod"], labels["container"]) == ("default", "web", "app")


def test_a_healthy_node_has_no_finding_samples_and_falls_back_to_gather_time() -> None:
    parsed = samples(formatter("prometheus")(report_of(scenario("healthy"))))
    assert parsed["stackdoctor_finding"] == []
    assert parsed["stackdoctor_check_duration_seconds"] == [({}, 3.8)]  # collected.duration
    assert all(value == 1 for _, value in parsed["stackdoctor_layer_up"])


@pytest.mark.parametrize("value", ['a"b', "back\\slash", "two\nlines", 'all \\ " \n'])
def test_label_values_round_trip_through_the_parser(value: str) -> None:
    document = scenario("healthy")
    pod = oom_pod()
    pod["name"] = value
    document["pods"] = [pod]
    parsed = samples(formatter("prometheus")(report_of(document)))
    pods = {labels["pod"] for labels, _ in parsed["stackdoctor_finding"]}
    assert value in pods


@pytest.mark.parametrize(
    ("raw", "escaped"), [('a"b', 'a\\"b'), ("a\\b", "a\\\\b"), ("a\nb", "a\\nb")]
)
def test_escape_label(raw: str, escaped: str) -> None:
    assert escape_label(raw) == escaped
