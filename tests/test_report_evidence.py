"""Text and Markdown say what was seen (the line, its source and time), never the rule's test;
the root cause is said once; subjects read as people say them. JSON keeps the tests whole."""

from __future__ import annotations

import json
import logging

import pytest

from doctor.diagnosis import diagnose
from doctor.engine.loader import load_rules
from doctor.facts.document import PodRef, parse_facts
from doctor.layers import Layer, Scope, Severity
from doctor.model import Evidence, Finding, Report, Subject
from doctor.report import formatter
from doctor.report.wording import seen_line, subject_text
from tests.conftest import REPO

RULES = load_rules()
CRASH_LOOP = REPO / "fixtures" / "scenarios" / "k8s-crash-loop.json"
BACK_OFF_AT = "2026-12-06T22:15:40.378539"  # the kubelet's newest CrashLoopBackOff line


@pytest.fixture(scope="module")
def crash_loop() -> Report:
    document = json.loads(CRASH_LOOP.read_text())
    return diagnose(
        parse_facts(document, "k8s-crash-loop.json"), RULES, PodRef("default", "crash-loop")
    )


@pytest.mark.parametrize(
    ("evidence", "said"),
    [
        (
            Evidence(
                "pod.kubelet_log[*].message",
                'back-off 20s "app"',
                "matches",
                "(?P<d>.*)",
                BACK_OFF_AT,
            ),
            f'kubelet log, {BACK_OFF_AT}: back-off 20s "app"',
        ),
        (Evidence("$.layers.containerd.log[*].message", "x", "matches", "x"), "containerd log: x"),
        (
            Evidence("$.layers.node.kernel_log[*].message", "oom", "contains", "o"),
            "kernel log: oom",
        ),
        (
            Evidence("events[*].message", "Back-off", "matches", "B", "2026-12-06T22:15:40Z"),
            "event, 2026-12-06T22:15:40Z: Back-off",
        ),
        (Evidence("log_tail[*]", "panic: nil", "matches", "panic"), "container log: panic: nil"),
        (
            Evidence("$.layers.cri.errors[*].message", "deadline", "matches", "d"),
            "CRI error: deadline",
        ),
        (Evidence("exit_code", 137, "in", [137, 143]), "exit_code: 137"),
        (Evidence("exit_code", 1, "in", [137, 143], negated=True), "exit_code: 1"),
        (Evidence("$.layers.kubelet.running", False, "eq", False), "kubelet.running: false"),
        (
            Evidence("pod.kubelet_log[*].message", ["a", "b"], "matches", "Killing", negated=True),
            "kubelet log: no line that would rule it out",
        ),
        (Evidence("pod.events", None, "absent"), "no events"),
        (Evidence("pod.sandbox.shim", {"pid": 1}, "exists"), "pod.sandbox.shim: present"),
        (
            Evidence("log_tail[*]", {"count": 3, "values": ["a", "b"]}, "matches", "x"),
            "container log: 3 matching lines, the newest: b",
        ),
        (
            Evidence("cgroup.cpu.samples[*].nr_throttled", "1 -> 9", "rising"),
            "cgroup.cpu.samples[*].nr_throttled: 1 -> 9",
        ),
    ],
)
def test_evidence_is_said_as_seen(evidence: Evidence, said: str) -> None:
    assert seen_line(evidence) == said


def _finding(kind: Scope, attempts: tuple[int, ...] = ()) -> Finding:
    subject = Subject(kind, "default", "oom-kill", "app" if kind is Scope.CONTAINER else None)
    if kind is Scope.NODE:
        subject = Subject(kind)
    return Finding(
        "process.oom-killed",
        Layer.PROCESS,
        Severity.ERROR,
        subject,
        "t",
        "m",
        "f",
        (),
        (),
        attempts,
    )


@pytest.mark.parametrize(
    ("finding", "said"),
    [
        (_finding(Scope.CONTAINER, (1, 0)), "default/oom-kill, container app, restart 1"),
        (_finding(Scope.CONTAINER, (0,)), "default/oom-kill, container app, first run"),
        (_finding(Scope.CONTAINER), "default/oom-kill, container app"),
        (_finding(Scope.POD), "default/oom-kill"),
        (_finding(Scope.NODE), "node"),
    ],
)
def test_subjects_read_as_people_say_them(finding: Finding, said: str) -> None:
    assert subject_text(finding) == said


@pytest.mark.parametrize("output", ["text", "markdown"])
def test_reports_show_the_line_and_its_time_not_the_pattern(
    crash_loop: Report, output: str
) -> None:
    text = formatter(output)(crash_loop)
    assert f"kubelet log, {BACK_OFF_AT}:" in text
    assert "CrashLoopBackOff" in text
    assert " matches " not in text and "(?P<" not in text
    assert "crash-loop/app" not in text  # the subject as a path, with "(attempt 2)" after it
    assert "default/crash-loop, container app, restart 2" in text


@pytest.mark.parametrize("output", ["text", "markdown"])
def test_the_root_cause_is_said_once(crash_loop: Report, output: str) -> None:
    assert crash_loop.root_cause is not None
    text = formatter(output)(crash_loop)
    root = crash_loop.root_cause.finding
    assert text.count(root.fix.split()[0] + " " + root.fix.split()[1]) == 1
    # its evidence and docs moved into the root cause's section, not lost
    assert "container log: error: cannot open /etc/app/config.yaml" in text
    assert root.docs[0] in text
    assert "kubelet.crash-loop" in text.split("ROOT CAUSE")[-1].split("## Root cause")[-1]


def test_json_keeps_the_patterns_and_the_times(crash_loop: Report) -> None:
    data = json.loads(formatter("json")(crash_loop))
    loop = next(f for f in data["findings"] if f["id"] == "kubelet.crash-loop")
    line = next(e for e in loop["evidence"] if e["op"] == "matches")
    assert "CrashLoopBackOff" in line["expected"] and line["at"] == BACK_OFF_AT
    error = next(f for f in data["findings"] if f["id"] == "process.app-error")
    assert any(e["negated"] for e in error["evidence"])


def test_debug_logs_the_patterns(crash_loop: Report, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="doctor.report.wording"):
        formatter("text")(crash_loop)
    assert any(
        "matches" in r.getMessage() and "CrashLoopBackOff" in r.getMessage() for r in caplog.records
    )
