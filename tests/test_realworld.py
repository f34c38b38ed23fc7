"""The real-world corpus (fixtures/realworld): well-formed cases, and stackdoctor's score on
them held to the floor (fixtures/realworld/floor.json), with no false alarm on the negatives."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from bench import realworld
from doctor.engine.loader import load_rules
from doctor.layers import LAYER_NAMES

RULE_ID = re.compile(rf"^(?:{'|'.join(LAYER_NAMES)})\.[a-z0-9-]+$")


@pytest.fixture(scope="module")
def cases() -> list[realworld.Case]:
    return realworld.load_cases()


def test_the_corpus_is_large_enough_and_every_source_is_a_public_thread(
    cases: list[realworld.Case],
) -> None:
    assert sum(1 for case in cases if not case.negative) >= 150
    assert sum(1 for case in cases if case.negative) >= 20
    for case in cases:
        assert case.source.startswith("https://"), case.name
    sources = Counter(case.source for case in cases)
    assert [source for source, count in sources.items() if count > 1] == []


def test_every_expected_rule_exists_or_is_marked_new(cases: list[realworld.Case]) -> None:
    known = {rule.id for rule in load_rules().rules}
    proposed = {case.expected for case in cases if case.new_rule}
    for case in cases:
        if case.negative:
            continue
        if case.new_rule:
            assert case.expected not in known, f"{case.name}: its rule exists: new_rule: false"
        else:
            assert case.expected in known, f"{case.name}: no rule {case.expected}"
        for other in case.also_acceptable:  # a rule, or a well-formed id of one to come
            assert other in known | proposed or RULE_ID.match(other), f"{case.name}: {other}"


def test_the_score_holds_its_floor(cases: list[realworld.Case]) -> None:
    """The corpus and every held-out batch, each to its own floor (realworld/floor.json)."""
    result = realworld.score(cases)
    assert result.errors == {}
    assert realworld.below_floor(cases, result) == [], realworld.summary(cases, result, True)


def _case(name: str, expected: str, batch: str = "") -> realworld.Case:
    return realworld.Case(
        path=realworld.CASES / expected / f"{name}.yaml", source=f"https://example.org/{name}",
        expected=expected, also_acceptable=(), new_rule=False, pod="", kinds=("other",),
        evidence="x", batch=batch,
    )  # fmt: skip


def test_each_held_out_batch_is_held_to_its_own_floor(monkeypatch: pytest.MonkeyPatch) -> None:
    cases = [
        _case("a", "process.oom-killed"),
        _case("b", "process.oom-killed", "2026-12-07"),
        _case("c", "process.oom-killed", "2026-12-07"),
        _case("d", "none", "2026-12-07"),
    ]
    result = realworld.Score(
        outcomes={"process.oom-killed/a": "right", "process.oom-killed/b": "right",
                  "process.oom-killed/c": "no rule", "none/d": "false alarm"},
        named={},
    )  # fmt: skip
    batch = {"first_right_ratio": 0.5, "right_ratio": 0.5, "false_alarms": 1}
    floor = {"right_ratio": 0.9, "false_alarms": 0, "held_out": {"2026-12-07": batch}}
    monkeypatch.setattr(realworld, "floor", lambda: floor)
    assert realworld.below_floor(cases, result) == []  # corpus 1/1, the batch 1/2 and 1 alarm
    text = realworld.summary(cases, result)
    assert "held-out batch 2026-12-07, 50% when first scored: 2 failure reports" in text

    batch["right_ratio"] = 0.75
    batch["false_alarms"] = 0
    assert realworld.below_floor(cases, result) == [
        "held-out batch 2026-12-07: right 50.0% < floor 75.0%",
        "held-out batch 2026-12-07: 1 false alarms > 0",
    ]
    del floor["held_out"]
    assert realworld.below_floor(cases, result) == [
        "held-out batch 2026-12-07: no floor in floor.json (record its score)"
    ]
