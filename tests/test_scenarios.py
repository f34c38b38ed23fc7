"""End-to-end: every scenario fixture is diagnosed with the root cause recorded beside it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from doctor.diagnosis import diagnose
from doctor.engine.loader import load_rules
from doctor.facts.document import PodRef, load_facts
from tests.conftest import REPO

SCENARIOS = sorted((REPO / "fixtures" / "scenarios").glob("*.expected.json"))
RULES = load_rules()


def test_there_are_enough_scenarios() -> None:
    assert len(SCENARIOS) >= 15


@pytest.mark.parametrize("expected_file", SCENARIOS, ids=lambda p: p.name.split(".")[0])
def test_scenario_root_cause(expected_file: Path) -> None:
    expected = json.loads(expected_file.read_text())
    facts = load_facts(expected_file.with_name(expected_file.name.replace(".expected", "")))
    pod = PodRef.parse(expected["pod"]) if expected.get("pod") else None
    report = diagnose(facts, RULES, pod)
    got = report.root_cause.finding.rule_id if report.root_cause else None
    assert got == expected["root_cause"], [f.key for f in report.findings]
    found = {f.rule_id for f in report.findings}
    assert set(expected.get("also", [])) <= found
    assert report.failures == ()
    health = {key.split("@", 1)[0] for key in report.node_health}
    if "node_health" in expected:
        assert health == set(expected["node_health"])
    if "chain" in expected:
        assert report.root_cause is not None
        assert [f.rule_id for f in report.root_cause.chain] == expected["chain"]
