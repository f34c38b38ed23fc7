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
    result = realworld.score(cases)
    wanted = realworld.floor()
    assert result.errors == {}
    negatives = result.counts(cases, negative=True)
    alarms = [c.name for c in cases if c.negative and result.outcomes[c.name] != "quiet"]
    assert negatives["false alarm"] <= wanted["false_alarms"], alarms
    assert result.right_ratio(cases) >= wanted["right_ratio"], realworld.summary(
        cases, result, misses=True
    )
