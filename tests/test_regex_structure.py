"""What a regex's parse tree guarantees: the named groups every match captures (the message
lint) and texts one of which every match contains (the prefilter before a log search)."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from doctor.engine.conditions import All, AnyOf, Condition, Not, Predicate
from doctor.engine.loader import load_rules
from doctor.engine.operators import LazyRegex
from doctor.engine.regex_structure import always_captured, required_texts


@pytest.mark.parametrize(
    ("pattern", "groups"),
    [
        ("(?P<a>x)(?P<b>y)?", {"a"}),
        ("(?P<a>x)|(?P<b>y)", set()),
        ("(?:(?P<a>x)|(?P<b>y))(?P<c>z)", {"c"}),
        ("(?P<a>x){2,3}(?P<b>y){0,3}", {"a"}),
        ("(?=(?P<a>x))x(?!(?P<b>y))", {"a"}),
        ("(?P<a>(?P<b>x)?y)", {"a"}),
        ("(?P<a>x)?(?(a)(?P<b>y)|(?P<c>z))", set()),
        ("(?>(?P<a>x))", {"a"}),
        ("[unclosed", set()),
    ],
)
def test_always_captured(pattern: str, groups: set[str]) -> None:
    assert always_captured(pattern) == groups


@pytest.mark.parametrize(
    ("pattern", "texts"),
    [
        ("failed to (?:pull|fetch) image", ("failed to ",)),
        ("(?:optional prefix)?no space left on device", ("no space left on device",)),
        ("(?P<g>inside a group)", ("inside a group",)),
        ("(?:repeated)+ once", ("repeated",)),
        (".*(?:[Ee]rror|panic)", ("rror", "panic")),
        ("(?:alpha|beta) and (?:gamma|delta)", (" and ",)),
        ("(?:alpha|be)", None),  # a branch's text is too short to be worth a test
        ("(?:alpha|b.)", None),  # a branch with no text at all
        ("(?:optional)? a", None),
        ("(?:optional)*x", None),
        ("(?=lookahead)x", None),
        ("(?i)case insensitive", None),
        ("(?i:case) sensitive tail", (" sensitive tail",)),
        ("[unclosed", None),
    ],
)
def test_required_texts(pattern: str, texts: tuple[str, ...] | None) -> None:
    assert required_texts(pattern) == texts


def _patterns(condition: Condition) -> list[str]:
    if isinstance(condition, Predicate):
        return [condition.value.pattern] if isinstance(condition.value, LazyRegex) else []
    if isinstance(condition, Not):
        return _patterns(condition.child)
    assert isinstance(condition, All | AnyOf)
    return [p for child in condition.children for p in _patterns(child)]


CATALOG = sorted({p for rule in load_rules().branches() for p in _patterns(rule.when)})


@pytest.mark.parametrize("pattern", CATALOG)
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_every_match_contains_a_required_text(pattern: str, data: st.DataObject) -> None:
    texts = required_texts(pattern)
    line = data.draw(st.from_regex(pattern))
    assert re.search(pattern, line)
    if texts is not None:
        assert any(text in line for text in texts), (texts, line)


def test_prefilter_is_learned_after_many_searches_and_changes_no_answer() -> None:
    regex = LazyRegex(r"(?:(?:Failed|Error) pulling )?no space left on device")
    lines = ["no space left on device", "Failed pulling no space left on device", "unrelated"]
    lines += ["no space left", "left on device"]
    expected = [bool(re.search(regex.pattern, line)) for line in lines]
    for _ in range(LazyRegex.PREFILTER_AFTER):
        assert [bool(regex.search(line)) for line in lines] == expected
    assert regex._required == ("no space left on device",)
