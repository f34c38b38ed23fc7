"""The closed operator set: each operator's truth table, typed comparisons and evidence."""

from __future__ import annotations

from typing import Any

import pytest

from doctor.engine.operators import OPERATORS, Hit, LazyRegex, ValueKind, same_type

NO = None  # no hit expected

# (operator, selected values, rule value, the Hit expected or None)
TABLE: list[tuple[str, list[Any], Any, Hit | None]] = [
    # eq: any selected value equals, same type only
    ("eq", ["CONTAINER_EXITED"], "CONTAINER_EXITED", Hit("CONTAINER_EXITED")),
    ("eq", ["CONTAINER_RUNNING"], "CONTAINER_EXITED", NO),
    ("eq", [137], 137, Hit(137)),
    ("eq", [1, 2, 3], 2, Hit(2)),
    ("eq", [1], 1.0, Hit(1)),
    ("eq", [1.0], 1, Hit(1.0)),
    ("eq", [1], "1", NO),
    ("eq", ["1"], 1, NO),
    ("eq", [True], 1, NO),
    ("eq", [1], True, NO),
    ("eq", [False], 0, NO),
    ("eq", [0], False, NO),
    ("eq", [True], True, Hit(True)),
    ("eq", [False], False, Hit(False)),
    ("eq", [], "x", NO),
    # ne: no selected value equals (typed); evidence is the first value
    ("ne", ["Running"], "Failed", Hit("Running")),
    ("ne", ["Failed"], "Failed", NO),
    ("ne", ["a", "b"], "c", Hit("a")),
    ("ne", ["a", "b"], "b", NO),
    ("ne", [1], 1.0, NO),
    ("ne", ["1"], 1, Hit("1")),
    ("ne", [1], True, Hit(1)),
    ("ne", [], "x", NO),
    # ordering: numbers only, booleans are not numbers
    ("lt", [1], 2, Hit(1)),
    ("lt", [2], 2, NO),
    ("lt", [3], 2, NO),
    ("le", [2], 2, Hit(2)),
    ("le", [2.5], 2, NO),
    ("gt", [3], 2, Hit(3)),
    ("gt", [2], 2, NO),
    ("gt", [0.91], 0.9, Hit(0.91)),
    ("gt", [1, 5, 9], 4, Hit(5)),
    ("gt", ["5"], 2, NO),
    ("gt", [True], 0, NO),
    ("ge", [2], 2, Hit(2)),
    ("ge", [1], 2, NO),
    ("ge", [False], 0, NO),
    ("lt", [], 2, NO),
    # in: a selected value is one of the list, typed
    ("in", ["OOMKilled"], ["Error", "OOMKilled"], Hit("OOMKilled")),
    ("in", ["Completed"], ["Error", "OOMKilled"], NO),
    ("in", [137], [1, 137], Hit(137)),
    ("in", [137], ["137"], NO),
    ("in", [1], [True], NO),
    ("in", [True], [1], NO),
    ("in", [2, 9], [9], Hit(9)),
    ("in", ["x"], [], NO),
    # contains: substring of a string, or an item of a list
    ("contains", ["failed to pull image"], "pull", Hit("failed to pull image")),
    ("contains", ["started"], "pull", NO),
    ("contains", [["sh", "-c"]], "-c", Hit(["sh", "-c"])),
    ("contains", [["sh", "-c"]], "s", NO),
    ("contains", [[1, 2]], 2, Hit([1, 2])),
    ("contains", [[1, 2]], "2", NO),
    ("contains", [[True]], 1, NO),
    ("contains", ["a1"], 1, NO),
    ("contains", [5], 5, NO),
    ("contains", ["ok", "boom here"], "boom", Hit("boom here")),
    # exists / absent: decided by whether anything was selected
    ("exists", ["x"], None, Hit("x")),
    ("exists", [0, 1], None, Hit(0)),
    ("exists", [False], None, Hit(False)),
    ("exists", [], None, NO),
    ("absent", [], None, Hit(None)),
    ("absent", ["x"], None, NO),
    ("absent", [0], None, NO),
    # rising: last numeric sample above the first
    ("rising", [1, 5], None, Hit("1 -> 5")),
    ("rising", [1, 0, 2], None, Hit("1 -> 2")),
    ("rising", [5, 9, 5], None, NO),
    ("rising", [5, 1], None, NO),
    ("rising", [5], None, NO),
    ("rising", [], None, NO),
    ("rising", [1, "x", 3], None, Hit("1 -> 3")),
    ("rising", [True, 5], None, NO),
]


@pytest.mark.parametrize(("op", "values", "expected", "hit"), TABLE)
def test_operator_table(op: str, values: list[Any], expected: Any, hit: Hit | None) -> None:
    assert OPERATORS[op].fn(values, expected) == hit


def test_every_operator_is_in_the_table() -> None:
    tested = {op for op, *_ in TABLE} | {"matches"}
    assert set(OPERATORS) == tested


def test_operators_are_named_by_their_key() -> None:
    assert all(name == op.name for name, op in OPERATORS.items())


@pytest.mark.parametrize(
    ("op", "kind", "decides_missing", "series"),
    [
        ("eq", ValueKind.SCALAR, False, False),
        ("ne", ValueKind.SCALAR, False, False),
        ("lt", ValueKind.NUMBER, False, False),
        ("le", ValueKind.NUMBER, False, False),
        ("gt", ValueKind.NUMBER, False, False),
        ("ge", ValueKind.NUMBER, False, False),
        ("in", ValueKind.LIST, False, False),
        ("contains", ValueKind.SCALAR, False, False),
        ("matches", ValueKind.REGEX, False, False),
        ("exists", ValueKind.NONE, True, False),
        ("absent", ValueKind.NONE, True, False),
        ("rising", ValueKind.NONE, False, True),
    ],
)
def test_operator_kinds(op: str, kind: str, decides_missing: bool, series: bool) -> None:
    operator = OPERATORS[op]
    assert (operator.value_kind, operator.decides_missing, operator.series) == (
        kind,
        decides_missing,
        series,
    )


MATCHES_TABLE = [
    (["exit status 137"], r"status (?P<code>\d+)", Hit("exit status 137", {"code": "137"})),
    (["no match"], r"status (?P<code>\d+)", None),
    (["a", "err: disk full"], r"err: (?P<what>.+)", Hit("err: disk full", {"what": "disk full"})),
    (["plain"], r"pla", Hit("plain", {})),
    # an optional group that did not take part is not a capture
    (["x=1"], r"x=(?P<x>\d)(?P<y>;\d)?", Hit("x=1", {"x": "1"})),
    # search, not fullmatch
    (["prefix OOM suffix"], r"OOM", Hit("prefix OOM suffix", {})),
    ([137], r"137", None),
    ([["137"]], r"137", None),
]


@pytest.mark.parametrize(("values", "pattern", "hit"), MATCHES_TABLE)
def test_matches_returns_named_captures(values: list[Any], pattern: str, hit: Hit | None) -> None:
    assert OPERATORS["matches"].fn(values, LazyRegex(pattern)) == hit


def test_only_matches_and_contains_can_be_counted() -> None:
    # min_count counts lines; a count of numbers equal to a value would be a different question.
    assert {name for name, op in OPERATORS.items() if op.each is not None} == {
        "contains",
        "matches",
    }


@pytest.mark.parametrize(
    ("op", "values", "expected", "hit"),
    [row for row in TABLE if row[0] == "contains" and len(row[1]) == 1]
    + [
        ("matches", values, LazyRegex(p), hit)
        for values, p, hit in MATCHES_TABLE
        if len(values) == 1
    ],
)
def test_the_test_of_one_value_agrees_with_the_operator(
    op: str, values: list[Any], expected: Any, hit: Hit | None
) -> None:
    each = OPERATORS[op].each
    assert each is not None
    assert each(values[0], expected) == hit


@pytest.mark.parametrize(
    ("a", "b", "comparable"),
    [
        (1, 1.5, True),
        (1, "1", False),
        ("a", "b", True),
        (True, False, True),
        (True, 1, False),
        (1, True, False),
        (None, None, False),
        ([1], [1], False),
    ],
)
def test_same_type(a: Any, b: Any, comparable: bool) -> None:
    assert same_type(a, b) is comparable
