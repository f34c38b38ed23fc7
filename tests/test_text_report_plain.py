"""The text report's plain path (no colour: piped, NO_COLOR) prints exactly what rich would.

A node's report can hold thousands of findings and pods; without styles to emit, the finding
blocks and the PODS table are laid out without rich's machinery, breaking lines where rich's
own `divide_line` does. These tests render the same reports both ways.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich._wrap import divide_line

from bench.analyze_scale import scaled_document
from bench.synthetic import synthetic_document
from doctor.diagnosis import diagnose
from doctor.engine.loader import load_rules
from doctor.facts.document import PodRef, parse_facts
from doctor.layers import Layer, Scope, Severity
from doctor.model import Evidence, Finding, Report, Subject
from doctor.report import text, wrap
from tests.conftest import REPO

RULES = load_rules()
SCENARIOS = sorted(
    p for p in (REPO / "fixtures" / "scenarios").glob("*.json") if ".expected" not in p.name
)


def _both_ways(report: Report, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    fast = text.render(report)
    with monkeypatch.context() as patched:
        patched.setattr(text, "_plain_block", lambda *_: None)
        patched.setattr(text, "_plain_pods", lambda *_: None)
        slow = text.render(report)
    return fast, slow


def _diagnosed(document: dict[str, object], pod: PodRef | None = None) -> Report:
    return diagnose(parse_facts(document, "test.json"), RULES, pod, node_only=pod is None)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scenarios_render_the_same(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    document = json.loads(path.read_text())
    for report in (_diagnosed(document), diagnose(parse_facts(document, "x"), RULES)):
        fast, slow = _both_ways(report, monkeypatch)
        assert fast == slow


@pytest.mark.parametrize(
    "source", ["k8s-crash-loop", "k8s-oom-kill", "k8s-image-tls", "k8s-shim-killed"]
)
def test_many_pods_render_the_same(source: str, monkeypatch: pytest.MonkeyPatch) -> None:
    document = scaled_document(12, REPO / "fixtures" / "scenarios" / f"{source}.json")
    fast, slow = _both_ways(_diagnosed(document), monkeypatch)
    assert "PODS" in fast
    assert fast == slow


def test_synthetic_node_renders_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    fast, slow = _both_ways(_diagnosed(synthetic_document(20)), monkeypatch)
    assert fast == slow


def test_text_rich_would_alter_goes_through_rich(monkeypatch: pytest.MonkeyPatch) -> None:
    document = scaled_document(3, REPO / "fixtures" / "scenarios" / "k8s-crash-loop.json")
    odd = copy.deepcopy(document)
    pods = odd["pods"]
    assert isinstance(pods, list)
    pods[0]["name"] = "a-pod-name-long-enough-that-the-pods-table-no-longer-fits-in-eighty-columns"
    wide = "\uff37\uff29\uff24\uff25 \u540d\u524d"  # two cells a character
    pods[1]["containers"][-1]["log_tail"] = [f"error:\ttab\tseparated\x07 and {wide} text"]
    pods[2]["name"] = "x[bold]y"
    fast, slow = _both_ways(_diagnosed(odd), monkeypatch)
    assert fast == slow


def _finding(message: str, fix: str, evidence: str, subject: str) -> Finding:
    return Finding(
        rule_id="process.demo",
        layer=Layer.PROCESS,
        severity=Severity.ERROR,
        subject=Subject(Scope.CONTAINER, "default", subject, "app"),
        title="Demo",
        message=message,
        fix=fix,
        evidence=(Evidence("log_tail[*]", evidence, "matches", "x"),),
        docs=("https://example.com/a/very/long/url/" + "x" * 90,),
    )


TEXT = st.lists(
    st.sampled_from([*"ab cd  ef-/:.—é名\u00a0\t", "x" * 30, "y" * 85]), max_size=120
).map("".join)


@settings(max_examples=150, deadline=None)
@given(
    message=TEXT,
    fix=TEXT,
    evidence=TEXT,
    name=st.from_regex(r"[a-z0-9-]{1,60}", fullmatch=True),
)
def test_any_finding_text_renders_the_same(
    message: str, fix: str, evidence: str, name: str
) -> None:
    report = _diagnosed(synthetic_document(1))
    report = Report(
        **{
            **report.__dict__,
            "findings": (_finding(message, fix, evidence, name),),
            "root_cause": None,
            "node_health": (),
        }
    )
    fast = text.render(report)
    original = (text._plain_block, text._plain_pods)
    try:
        text._plain_block = lambda *_: None  # type: ignore[assignment]
        text._plain_pods = lambda *_: None  # type: ignore[assignment]
        slow = text.render(report)
    finally:
        text._plain_block, text._plain_pods = original  # type: ignore[assignment]
    assert fast == slow


@settings(max_examples=500, deadline=None)
@given(
    line=st.lists(st.sampled_from([*"ab c  d•—é", "x" * 12]), max_size=100).map("".join),
    width=st.integers(min_value=1, max_value=90),
)
def test_one_cell_line_breaks_are_rich_breaks(line: str, width: int) -> None:
    assert wrap.divide_one_cell(line, width) == divide_line(line, width)
    assert wrap.divide_words(line, width) == divide_line(line, width)


def test_one_cell_characters_are_one_cell_for_rich() -> None:
    from rich.cells import cell_len, chop_cells

    for character in wrap.ONE_CELL:
        assert character.isprintable()
        assert cell_len(character) == 1, hex(ord(character))
        assert chop_cells(character * 3, 1) == [character] * 3
