"""Phrases every human-readable format shares, so text and Markdown say the same thing."""

from __future__ import annotations

import json
from typing import Any

from doctor.model import Evidence, Finding, LayerVerdict

_MAX_VALUE = 160


def subject_text(finding: Finding) -> str:
    text = str(finding.subject)
    if finding.attempts:
        attempts = ", ".join(str(a) for a in finding.attempts[:6])
        more = ", …" if len(finding.attempts) > 6 else ""
        label = "attempt" if len(finding.attempts) == 1 else "attempts"
        text += f" ({label} {attempts}{more})"
    return text


def value_text(value: Any) -> str:
    if value is None:
        return "(absent)"
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 1] + "…"


_MAX_EXPECTED = 60


def evidence_line(evidence: Evidence) -> str:
    expected = "" if evidence.expected is None else f" {json.dumps(evidence.expected)}"
    if len(expected) > _MAX_EXPECTED:  # long regexes: the JSON report keeps them whole
        expected = expected[: _MAX_EXPECTED - 1] + "…"

    return f"{evidence.path} {evidence.op}{expected}: {value_text(evidence.value)}"


def layer_verdict_text(verdict: LayerVerdict) -> str:
    if verdict.verdict == "not-examined":
        if verdict.reason and verdict.reason != verdict.status.value:
            return f"not examined — {verdict.status.value}: {verdict.reason}"
        return f"not examined — {verdict.status.value}"
    if verdict.verdict == "finding":
        count = len(verdict.finding_keys)
        return f"{count} finding{'s' if count > 1 else ''}"
    return "ok"
