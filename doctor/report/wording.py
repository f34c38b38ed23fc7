"""Phrases every human-readable format shares, so text, Markdown and HTML say the same thing.

Evidence is said as what was seen (the log line and when it was written, the value of a field),
never as the rule's test: patterns are for the JSON report and `--debug` (`predicate_line`).
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from doctor.layers import Scope
from doctor.model import Evidence, Finding, LayerVerdict, Report

log = logging.getLogger(__name__)

_MAX_VALUE = 160

# Where a fact path's values come from, said as a person would: the first that matches wins.
_SOURCES = (
    (re.compile(r"kubelet_log|layers\.kubelet\.log\b"), "kubelet log"),
    (re.compile(r"containerd_log|layers\.containerd\.log\b"), "containerd log"),
    (re.compile(r"layers\.node\.kernel_log\b"), "kernel log"),
    (re.compile(r"layers\.node\.agent_log\b"), "node agents' log"),
    (re.compile(r"(?:^|\.)events\b"), "event"),  # "events" when there are none
    (re.compile(r"(?:^|\.)log_tail\b"), "container log"),
    (re.compile(r"layers\.cri\.errors\b"), "CRI error"),
)


def subject_text(finding: Finding) -> str:
    """`default/web, container app, restart 2`: the newest attempt it fired on."""
    subject = finding.subject
    if subject.kind is not Scope.CONTAINER:
        return str(subject)
    text = f"{subject.namespace}/{subject.pod}, container {subject.container}"
    if finding.attempts:
        newest = finding.attempts[0]
        text += ", first run" if newest == 0 else f", restart {newest}"
    return text


def value_text(value: Any) -> str:
    if value is None:
        return "(absent)"
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 1] + "…"


def source_of(path: str) -> str | None:
    """The log or object a fact path reads, when it is one a person would name."""
    return next((name for pattern, name in _SOURCES if pattern.search(path)), None)


def _label(path: str) -> str:
    return source_of(path) or path.removeprefix("$.layers.")


def seen_line(evidence: Evidence) -> str:
    """What was seen: `kubelet log, 2026-12-06T22:15:40.378539: <the line>`, `exit_code: 1`."""
    label = _label(evidence.path)
    if evidence.at:
        label += f", {evidence.at}"
    value = evidence.value
    if evidence.negated and evidence.op == "matches":
        return f"{label}: no line that would rule it out"
    if evidence.op == "absent":
        return "no events" if label == "event" else f"{label}: absent"
    if evidence.op == "exists" and isinstance(value, dict | list):
        return f"{label}: present"
    if isinstance(value, dict) and "count" in value and "values" in value:  # min_count
        newest = value["values"][-1] if value["values"] else None
        return f"{label}: {value['count']} matching lines, the newest: {value_text(newest)}"
    return f"{label}: {value_text(value)}"


def seen_lines(finding: Finding) -> list[str]:
    """The finding's evidence as seen, each line once (two tests of one field see one value)."""
    return list(dict.fromkeys(seen_line(e) for e in finding.evidence))


_MAX_EXPECTED = 60


def predicate_line(evidence: Evidence) -> str:
    """The rule's test and what it saw (`--debug`): the path, operator and pattern."""
    expected = "" if evidence.expected is None else f" {json.dumps(evidence.expected)}"
    if len(expected) > _MAX_EXPECTED:  # long regexes: the JSON report keeps them whole
        expected = expected[: _MAX_EXPECTED - 1] + "…"
    negated = "not " if evidence.negated else ""
    return f"{negated}{evidence.path} {evidence.op}{expected}: {value_text(evidence.value)}"


def log_predicates(report: Report) -> None:
    """Every finding's tests, patterns whole, for `--debug` (the report says what was seen)."""
    if not log.isEnabledFor(logging.DEBUG):
        return
    for finding in report.findings:
        for evidence in finding.evidence:
            log.debug("%s: %s", finding.key, predicate_line(evidence))


def other_findings(report: Report) -> tuple[list[Finding], list[Finding]]:
    """The findings besides the root cause (said once, in its own section): those related to
    the target, and the node's health unrelated to it."""
    root = report.root_cause.finding.key if report.root_cause else None
    related = [f for f in report.findings if f.key not in report.node_health and f.key != root]
    health = [f for f in report.findings if f.key in report.node_health and f.key != root]
    return related, health


def layer_verdict_text(verdict: LayerVerdict) -> str:
    if verdict.verdict == "not-examined":
        if verdict.reason and verdict.reason != verdict.status.value:
            return f"not examined — {verdict.status.value}: {verdict.reason}"
        return f"not examined — {verdict.status.value}"
    if verdict.verdict == "finding":
        count = len(verdict.finding_keys)
        return f"{count} finding{'s' if count > 1 else ''}"
    return "ok"
