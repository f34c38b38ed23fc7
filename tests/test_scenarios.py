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


def test_cluster_fixtures_say_what_they_came_from() -> None:
    """Captured from the lab's real Kubernetes: the versions of every component are recorded."""
    captured = [path for path in SCENARIOS if path.name.startswith("k8s-")]
    assert captured, "no fixture from the cluster lab (scripts/regen-lab-fixtures)"
    for path in captured:
        versions = json.loads(path.read_text())["versions"]
        assert set(versions) == {"kubernetes", "etcd", "containerd", "runc"}, path.name
        assert all(versions.values()), path.name


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
