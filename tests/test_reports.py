"""Report formats: the JSON schema, JUnit structure, Markdown and text content."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from doctor.diagnosis import diagnose
from doctor.engine.examples import base_document
from doctor.engine.loader import load_rules
from doctor.facts.document import parse_facts
from doctor.model import Report
from doctor.report import formatter
from tests.conftest import oom_pod

RULES = load_rules()


def report_for(pods: list[dict[str, Any]], **layers: dict[str, Any]) -> Report:
    document = base_document()
    document["pods"] = pods
    for name, section in layers.items():
        document["layers"][name].update(section)
    return diagnose(parse_facts(document, "test.json"), RULES)


@pytest.fixture(scope="module")
def oom_report() -> Report:
    return report_for([oom_pod()], apiserver={"status": "absent"})


def test_json_schema_keys(oom_report: Report) -> None:
    data = json.loads(formatter("json")(oom_report))
    assert set(data) >= {"target", "layers", "findings", "root_cause", "skipped", "summary"}
    assert data["target"] == {"host": "example-node", "namespace": "default", "pod": "web"}
    assert data["layers"][0]["name"] == "apiserver"
    assert data["layers"][0]["verdict"] == "not-examined"
    root = data["root_cause"]
    assert root["id"] == "process.oom-killed" and root["subject"] == "default/web/app"
    assert root["chain"][-1] == "process.oom-killed"
    finding = next(f for f in data["findings"] if f["id"] == "process.oom-killed")
    assert set(finding) >= {"id", "layer", "severity", "subject", "message", "fix", "evidence"}
    assert finding["attempts"] == [2, 1, 0]
    assert {
        "path": "reason",
        "op": "eq",
        "expected": "OOMKilled",
        "value": "OOMKilled",
        "at": None,
        "negated": False,
    } in finding["evidence"]


def test_node_report_gives_each_pod_its_root_cause() -> None:
    healthy = {"name": "ok", "namespace": "default", "containers": [{"name": "a", "attempt": 0}]}
    report = report_for([oom_pod(), healthy])
    data = json.loads(formatter("json")(report))
    assert data["target"]["pod"] is None
    verdicts = {pod["name"]: pod["root_cause"] for pod in data["pods"]}
    assert verdicts == {"web": "process.oom-killed", "ok": None}
    assert "PODS" in formatter("text")(report)


def test_json_root_cause_null_when_healthy() -> None:

    data = json.loads(formatter("json")(report_for([])))
    assert data["root_cause"] is None


def test_junit_failures_and_passes(oom_report: Report) -> None:
    tree = ET.fromstring(formatter("junit")(oom_report))
    suite = tree.find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert int(suite.get("tests", "0")) == len(cases) >= oom_report.rules_evaluated
    failed = [c.get("name") for c in cases if c.find("failure") is not None]
    assert "process.oom-killed [default/web/app]" in failed
    assert int(suite.get("failures", "0")) == len(failed)
    skipped = [c for c in cases if c.find("skipped") is not None]
    assert int(suite.get("skipped", "0")) == len(skipped)


def test_markdown_has_sections(oom_report: Report) -> None:
    text = formatter("markdown")(oom_report)
    assert text.startswith("# stackdoctor diagnosis: default/web on example-node")
    assert "## Root cause" in text and "`process.oom-killed`" in text
    assert "| apiserver | not examined — absent |" in text


def test_text_names_root_cause_and_layers(oom_report: Report) -> None:
    text = formatter("text")(oom_report)
    assert "ROOT CAUSE" in text and "process.oom-killed" in text
    for layer in ("apiserver", "kubelet", "cri", "containerd", "shim", "runc", "process", "node"):
        assert layer in text
