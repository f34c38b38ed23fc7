"""Differential diagnosis: a root cause whose evidence fits several causes lists them, most
likely first, each with what the facts say of it and the one command that decides it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from doctor.diagnosis import diagnose
from doctor.engine.examples import example_document
from doctor.engine.loader import load_rules
from doctor.facts.document import parse_facts
from doctor.model import Report
from doctor.report import formatter
from tests.conftest import REPO
from tests.test_rule_loader import problems, two_rules, write

RULES = load_rules()


def without_logs_and_events(name: str) -> dict[str, Any]:
    """A lab capture as a node shows it once its logs are rotated and its events expired."""
    document: dict[str, Any] = json.loads((REPO / "fixtures/scenarios" / name).read_text())
    document["layers"]["kubelet"]["log"] = []
    for pod in document["pods"]:
        pod.update(kubelet_log=[], containerd_log=[], events=[])
        for container in pod["containers"]:
            container.pop("log_tail", None)
    return document


def test_an_exit_137_without_its_story_gets_the_candidates_ranked() -> None:
    # the liveness probe's kill (exit 137, reason Error) with no event or log left to say so
    document = without_logs_and_events("k8s-liveness-probe.json")
    report = diagnose(parse_facts(document, "liveness"), RULES)
    assert report.root_cause is not None
    assert report.root_cause.finding.rule_id == "process.killed"
    ranked = [(c.rule_id, c.seen.split(":")[0]) for c in report.differential]
    assert ranked == [
        ("kubelet.probe-failed", "no sign in the facts"),
        ("process.oom-killed", "not examined"),  # the cgroup's OOM counter is gone with it
        ("node.kernel-oom", "no sign in the facts"),
        ("kubelet.evicted", "no sign in the facts"),
    ]
    first = report.differential[0]
    assert "--field-selector involvedObject.name=liveness-probe" in first.tell
    assert "{" not in "".join(c.tell for c in report.differential)  # every field rendered
    text = formatter("text")(report)
    assert "what would decide it" in text and "1. kubelet.probe-failed" in text
    as_json = json.loads(formatter("json")(report))
    assert [c["id"] for c in as_json["differential"]] == [c.rule_id for c in report.differential]
    assert "1. `kubelet.probe-failed`" in formatter("markdown")(report)


def test_a_root_cause_that_says_why_has_no_differential() -> None:
    document = json.loads((REPO / "fixtures/scenarios/k8s-liveness-probe.json").read_text())
    report = diagnose(parse_facts(document, "liveness"), RULES)
    assert report.root_cause is not None
    assert report.root_cause.finding.rule_id == "kubelet.probe-failed"
    assert report.differential == ()


def test_a_differential_must_name_another_rule(tmp_path: Path) -> None:
    extra = "    differential:\n" + "".join(
        f"      - {{cause: {cause}, tell: look}}\n" for cause in ("process.b", "process.nope")
    )
    path = write(tmp_path, "rules.yaml", two_rules("process.a", "process.b", extra))
    [problem] = problems(path)
    assert "process.a: differential names 'process.nope': not another rule" in problem


def memory_limit_finding(message: str) -> Report:
    """The report of a pod whose Failed event says `message`: runc.memory-limit-too-low its
    root cause."""
    rule = RULES.get("runc.memory-limit-too-low")
    assert rule is not None
    event = {"type": "Warning", "reason": "Failed", "message": message}
    document = example_document(rule, {"pod": {"events": [event]}})
    report = diagnose(parse_facts(document, "event"), RULES)
    assert report.root_cause is not None
    assert report.root_cause.finding.rule_id == "runc.memory-limit-too-low"
    return report


def test_a_differential_entry_that_renders_empty_is_left_out() -> None:
    """runc.memory-limit-too-low lists the other deaths of runc init for a bare init-p error,
    and none when runc itself says its init was OOM-killed (its tells are optional sections over
    the ambiguous line's capture)."""
    bare = memory_limit_finding(
        "Error: container create failed: container_linux.go:366: starting container process"
        " caused: process_linux.go:382: sending config to init process caused: write init-p:"
        " broken pipe"
    )
    assert [c.rule_id for c in bare.differential] == ["runc.incompatible", "process.pids-exhausted"]
    explicit = memory_limit_finding(
        "Error: failed to create containerd task: failed to create shim task: OCI runtime create"
        " failed: runc create failed: unable to start container process: container init was"
        " OOM-killed (memory limit too low?): unknown"
    )
    assert explicit.root_cause is not None
    assert explicit.root_cause.finding.differential == ()
    assert explicit.differential == ()
