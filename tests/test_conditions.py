"""Condition trees: three-valued logic, ratio predicates, `as` binding and evidence."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from doctor.engine.conditions import All, AnyOf, Context, Missing, Not, Predicate, Verdict
from doctor.engine.operators import OPERATORS, LazyRegex
from doctor.engine.paths import compile_path
from doctor.layers import Layer
from doctor.model import Evidence

T, F, U = True, False, None


@dataclass(frozen=True)
class Leaf:
    """A condition with a fixed verdict; unknown leaves report a missing fact."""

    value: bool | None
    name: str = "leaf"

    def evaluate(self, ctx: Context) -> Verdict:
        if self.value is None:
            return Verdict(None, missing=(Missing(self.name, Layer.PROCESS),))
        return Verdict(self.value, (Evidence(self.name, self.value, "eq"),))

    def predicates(self) -> list[Predicate]:
        return []


CTX = Context({}, {}, {})


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (T, T, T),
        (T, F, F),
        (T, U, U),
        (F, T, F),
        (F, F, F),
        (F, U, F),
        (U, T, U),
        (U, F, F),
        (U, U, U),
    ],
)
def test_all_truth_table(a: bool | None, b: bool | None, expected: bool | None) -> None:
    assert All((Leaf(a, "a"), Leaf(b, "b"))).evaluate(CTX).value is expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (T, T, T),
        (T, F, T),
        (T, U, T),
        (F, T, T),
        (F, F, F),
        (F, U, U),
        (U, T, T),
        (U, F, U),
        (U, U, U),
    ],
)
def test_any_truth_table(a: bool | None, b: bool | None, expected: bool | None) -> None:
    assert AnyOf((Leaf(a, "a"), Leaf(b, "b"))).evaluate(CTX).value is expected


@pytest.mark.parametrize(("a", "expected"), [(T, F), (F, T), (U, U)])
def test_not_truth_table(a: bool | None, expected: bool | None) -> None:
    assert Not(Leaf(a)).evaluate(CTX).value is expected


@pytest.mark.parametrize(
    ("tree", "missing"),
    [
        (All((Leaf(U, "a"), Leaf(T, "b"), Leaf(U, "c"))), ["a", "c"]),
        (AnyOf((Leaf(U, "a"), Leaf(F, "b"), Leaf(U, "c"))), ["a", "c"]),
        (Not(Leaf(U, "a")), ["a"]),
        (All((Leaf(T), AnyOf((Leaf(F), Leaf(U, "deep"))))), ["deep"]),
    ],
)
def test_unknown_reports_every_missing_fact(tree: Any, missing: list[str]) -> None:
    verdict = tree.evaluate(CTX)
    assert verdict.value is None
    assert [m.path for m in verdict.missing] == missing
    assert verdict.evidence == ()


def test_all_true_collects_evidence_of_every_child() -> None:
    verdict = All((Leaf(T, "a"), Leaf(T, "b"))).evaluate(CTX)
    assert [e.path for e in verdict.evidence] == ["a", "b"]


def test_any_true_keeps_the_deciding_child_evidence() -> None:
    verdict = AnyOf((Leaf(F, "a"), Leaf(T, "b"), Leaf(T, "c"))).evaluate(CTX)
    assert [e.path for e in verdict.evidence] == ["b"]


# --- real predicates over facts ------------------------------------------------------------


def predicate(
    fact: str,
    op: str,
    value: Any = None,
    per: str | None = None,
    bind: str | None = None,
    scope: str = "container",
    min_count: int | None = None,
) -> Predicate:
    compiled = LazyRegex(value) if op == "matches" else value
    return Predicate(
        compile_path(fact, scope),
        OPERATORS[op],
        compiled,
        compile_path(per, scope) if per else None,
        value,
        bind,
        min_count,
    )


def run(pred: Any, container: dict[str, Any]) -> Verdict:
    return pred.evaluate(Context({}, {"name": "p", "containers": [container]}, container))


def samples(*pairs: tuple[int, int]) -> dict[str, Any]:
    return {
        "cgroup": {"cpu": {"samples": [{"nr_periods": p, "nr_throttled": t} for p, t in pairs]}}
    }


def test_predicate_true_records_evidence() -> None:
    verdict = run(predicate("exit_code", "eq", 137), {"exit_code": 137})
    assert verdict.value is True
    assert verdict.evidence == (Evidence("exit_code", 137, "eq", 137),)


def test_predicate_false_carries_no_evidence_until_negated() -> None:
    pred = predicate("exit_code", "eq", 137)
    verdict = run(pred, {"exit_code": 1})
    assert verdict.value is False
    assert verdict.evidence == ()
    negated = (Evidence("exit_code", 1, "eq", 137, negated=True),)
    assert run(Not(pred), {"exit_code": 1}).evidence == negated


def test_negated_predicate_over_many_values_shows_the_first_three() -> None:
    verdict = run(Not(predicate("log_tail[*]", "contains", "panic")), {"log_tail": list("abcde")})
    assert verdict.value is True
    seen = Evidence("log_tail[*]", ["a", "b", "c"], "contains", "panic", negated=True)
    assert verdict.evidence == (seen,)


@pytest.mark.parametrize("op", ["eq", "ne", "gt"])
def test_missing_fact_is_unknown(op: str) -> None:
    verdict = run(predicate("cgroup.memory.usage_bytes", op, 1), {"exit_code": 0})
    assert verdict.value is None
    assert verdict.missing == (Missing("cgroup.memory.usage_bytes", Layer.PROCESS),)


@pytest.mark.parametrize(("op", "value"), [("eq", 1), ("ne", 1)])
def test_null_fact_is_unknown(op: str, value: Any) -> None:
    verdict = run(predicate("exit_code", op, value), {"exit_code": None})
    assert verdict.value is None
    assert verdict.missing == (Missing("exit_code", Layer.CRI),)


@pytest.mark.parametrize(("op", "expected"), [("exists", False), ("absent", True)])
def test_exists_and_absent_decide_a_missing_fact(op: str, expected: bool) -> None:
    assert run(predicate("shim.pid", op), {"name": "app"}).value is expected


@pytest.mark.parametrize(
    ("op", "container", "expected"),
    [
        ("exists", {"shim": {"pid": 7}}, True),
        ("absent", {"shim": {"pid": 7}}, False),
        ("exists", {"shim": {"pid": None}}, False),
        ("absent", {"shim": {"pid": None}}, True),
        ("exists", {"log_tail": []}, False),
    ],
)
def test_exists_and_absent(op: str, container: dict[str, Any], expected: bool) -> None:
    fact = "log_tail[*]" if "log_tail" in container else "shim.pid"
    assert run(predicate(fact, op), container).value is expected


def test_empty_list_is_an_answer_not_unknown() -> None:
    verdict = run(predicate("log_tail[*]", "contains", "panic"), {"log_tail": []})
    assert verdict.value is False


def test_rising_with_one_sample_is_unknown() -> None:
    verdict = run(predicate("cgroup.cpu.samples[*].nr_throttled", "rising"), samples((10, 1)))
    assert verdict.value is None
    assert verdict.missing == (
        Missing("cgroup.cpu.samples[*].nr_throttled", Layer.PROCESS, "needs two samples, got one"),
    )


def test_rising_with_no_samples_does_not_claim_one() -> None:
    verdict = run(predicate("cgroup.cpu.samples[*].nr_throttled", "rising"), samples())
    assert verdict.value is None
    assert "got one" not in verdict.missing[0].detail


def test_rising_over_samples() -> None:
    verdict = run(
        predicate("cgroup.cpu.samples[*].nr_throttled", "rising"), samples((10, 1), (20, 4))
    )
    assert verdict.value is True
    assert verdict.evidence[0].value == "1 -> 4"


# --- ratio predicates (`per`) --------------------------------------------------------------

THROTTLED = "cgroup.cpu.samples[*].nr_throttled"
PERIODS = "cgroup.cpu.samples[*].nr_periods"


@pytest.mark.parametrize(
    ("container", "op", "value", "expected", "seen"),
    [
        # deltas of the first and last samples: (60 - 10) / (200 - 100) = 0.5
        (samples((100, 10), (150, 30), (200, 60)), "gt", 0.4, True, 0.5),
        (samples((100, 10), (150, 30), (200, 60)), "gt", 0.5, False, 0.5),
        (samples((100, 10), (200, 60)), "le", 0.5, True, 0.5),
        # the cumulative ratio would be 60/200 = 0.3; the window's is 0.5
        (samples((100, 10), (200, 60)), "lt", 0.4, False, 0.5),
        # a single sample: the values themselves, 25 / 100
        (samples((100, 25)), "ge", 0.25, True, 0.25),
        (samples((100, 25)), "gt", 0.25, False, 0.25),
    ],
)
def test_ratio_of_sample_deltas(
    container: dict[str, Any], op: str, value: float, expected: bool, seen: float
) -> None:
    pred = predicate(THROTTLED, op, value, per=PERIODS, bind="ratio")
    verdict = run(pred, container)
    assert verdict.value is expected
    if expected:
        assert verdict.evidence == (Evidence(f"{THROTTLED} / {PERIODS}", seen, op, value),)
        assert verdict.captures == {"ratio": seen}


def test_negated_ratio_shows_the_ratio_as_evidence() -> None:
    pred = predicate(THROTTLED, "gt", 0.6, per=PERIODS)
    verdict = run(Not(pred), samples((100, 10), (200, 60)))
    assert verdict.value is True
    assert verdict.evidence == (Evidence(f"{THROTTLED} / {PERIODS}", 0.5, "gt", 0.6, True),)


@pytest.mark.parametrize(
    ("usage", "limit", "expected"),
    [(95, 100, True), (90, 100, False), (10, 100, False)],
)
def test_ratio_of_single_values(usage: int, limit: int, expected: bool) -> None:
    container = {"cgroup": {"memory": {"usage_bytes": usage, "limit_bytes": limit}}}
    pred = predicate("cgroup.memory.usage_bytes", "gt", 0.9, per="cgroup.memory.limit_bytes")
    assert run(pred, container).value is expected


@pytest.mark.parametrize(
    "container",
    [
        samples((100, 10), (100, 10)),  # no period elapsed between the samples
        samples((0, 0)),
        {"cgroup": {"memory": {"usage_bytes": 5, "limit_bytes": 0}}},
    ],
)
def test_ratio_with_zero_denominator_is_false(container: dict[str, Any]) -> None:
    if "memory" in container["cgroup"]:
        pred = predicate("cgroup.memory.usage_bytes", "gt", 0.0, per="cgroup.memory.limit_bytes")
    else:
        pred = predicate(THROTTLED, "ge", 0.0, per=PERIODS)
    verdict = run(pred, container)
    assert verdict.value is False
    assert verdict.evidence[0].value == "0 / 0"


def test_ratio_with_null_denominator_is_unknown() -> None:
    container = {"cgroup": {"memory": {"usage_bytes": 5, "limit_bytes": None}}}
    pred = predicate("cgroup.memory.usage_bytes", "gt", 0.5, per="cgroup.memory.limit_bytes")
    verdict = run(pred, container)
    assert verdict.value is None
    assert verdict.missing == (Missing("cgroup.memory.limit_bytes", Layer.PROCESS),)


@pytest.mark.parametrize(
    ("memory", "missing"),
    [
        ({"usage_bytes": 5}, "cgroup.memory.limit_bytes"),
        ({"limit_bytes": 5}, "cgroup.memory.usage_bytes"),
        ({"usage_bytes": None, "limit_bytes": 5}, "cgroup.memory.usage_bytes"),
    ],
)
def test_ratio_with_a_missing_side_is_unknown(memory: dict[str, Any], missing: str) -> None:
    pred = predicate("cgroup.memory.usage_bytes", "gt", 0.5, per="cgroup.memory.limit_bytes")
    verdict = run(pred, {"cgroup": {"memory": memory}})
    assert verdict.value is None
    assert verdict.missing == (Missing(missing, Layer.PROCESS),)


# --- `as` binding and captures -------------------------------------------------------------


def test_as_binds_the_matching_value() -> None:
    verdict = run(predicate("exit_code", "in", [137, 139], bind="code"), {"exit_code": 139})
    assert verdict.value is True
    assert verdict.captures == {"code": 139}


def test_as_binds_the_matching_item_of_many() -> None:
    pred = predicate("log_tail[*]", "contains", "panic", bind="line")
    verdict = run(pred, {"log_tail": ["ok", "panic: nil map", "more"]})
    assert verdict.captures == {"line": "panic: nil map"}


def test_no_binding_when_false() -> None:
    verdict = run(predicate("exit_code", "eq", 1, bind="code"), {"exit_code": 0})
    assert verdict.captures == {}


def test_matches_captures_and_binding_flow_through_all() -> None:
    tree = All(
        (
            predicate("exit_code", "gt", 0, bind="code"),
            predicate("log_tail[*]", "matches", r"signal (?P<signal>\w+)"),
        )
    )
    verdict = tree.evaluate(Context({}, {}, {"exit_code": 137, "log_tail": ["got signal KILL"]}))
    assert verdict.value is True
    assert verdict.captures == {"code": 137, "signal": "KILL"}
    assert [e.path for e in verdict.evidence] == ["exit_code", "log_tail[*]"]
    assert verdict.evidence[1] == Evidence(
        "log_tail[*]", "got signal KILL", "matches", r"signal (?P<signal>\w+)"
    )


# --- min_count: a line repeated, not seen once ----------------------------------------------

STUCK = r"waiting for (?P<device>\w+) to become free"
LOG = [
    "waiting for lo to become free. Usage count = 1",
    "eth0: renamed from veth1",
    "waiting for eth0 to become free. Usage count = 1",
    "waiting for eth0 to become free. Usage count = 1",
]


@pytest.mark.parametrize(("count", "expected"), [(2, True), (3, True), (4, False)])
def test_min_count_needs_that_many_matching_values(count: int, expected: bool) -> None:
    pred = predicate("log_tail[*]", "matches", STUCK, min_count=count)
    assert run(pred, {"log_tail": LOG}).value is expected


def test_min_count_evidence_counts_and_lists_the_matches_and_binds_the_newest() -> None:
    pred = predicate("log_tail[*]", "matches", STUCK, bind="line", min_count=3)
    verdict = run(pred, {"log_tail": LOG})
    matched = [LOG[0], LOG[2], LOG[3]]
    assert verdict.evidence == (
        Evidence("log_tail[*]", {"count": 3, "values": matched}, "matches", STUCK),
    )
    assert verdict.captures == {"device": "eth0", "line": LOG[3]}


def test_min_count_shows_only_the_newest_matches() -> None:
    lines = [f"waiting for lo to become free. Usage count = {n}" for n in range(25)]
    pred = predicate("log_tail[*]", "contains", "become free", min_count=2)
    [evidence] = run(pred, {"log_tail": lines}).evidence
    assert evidence.value == {"count": 25, "values": lines[-Predicate.SHOWN_MATCHES :]}


def test_min_count_over_a_missing_fact_is_unknown() -> None:
    pred = predicate("log_tail[*]", "matches", STUCK, min_count=2)
    assert run(pred, {"exit_code": 0}).value is None


def test_min_count_and_the_single_match_are_different_predicates() -> None:
    # The verdict memo is keyed by a predicate's meaning: min_count is part of it.
    once = predicate("log_tail[*]", "matches", STUCK)
    thrice = predicate("log_tail[*]", "matches", STUCK, min_count=5)
    ctx = Context({}, {}, {"log_tail": LOG})
    assert (once.evaluate(ctx).value, thrice.evaluate(ctx).value) == (True, False)


def test_not_of_false_uses_what_the_child_saw_as_evidence() -> None:
    verdict = run(Not(predicate("exit_code", "eq", 1)), {"exit_code": 0})
    assert verdict.value is True
    # marked: what a `not` saw is not a matched fact (a timeline does not point at it)
    assert verdict.evidence == (Evidence("exit_code", 0, "eq", 1, negated=True),)


def test_not_of_false_all_shows_what_its_predicates_saw() -> None:
    tree = Not(All((predicate("exit_code", "eq", 1), predicate("reason", "eq", "Error"))))
    verdict = run(tree, {"exit_code": 0, "reason": "Completed"})
    assert verdict.value is True
    assert verdict.evidence == (
        Evidence("exit_code", 0, "eq", 1, negated=True),
        Evidence("reason", "Completed", "eq", "Error", negated=True),
    )


def test_not_of_true_is_false() -> None:
    assert run(Not(predicate("exit_code", "eq", 1)), {"exit_code": 1}).value is False


def test_pod_path_in_container_scope() -> None:
    pred = predicate("pod.name", "eq", "p")
    assert run(pred, {"name": "app"}).value is True


# --- any_source: alternative evidence sources ---------------------------------------------


@pytest.mark.parametrize(
    ("container", "expected"),
    [
        # one source read and clean, the other missing: decided false, not skipped
        ({"message": "all fine"}, False),
        # one source matches, the other missing: true
        ({"message": "boom happened"}, True),
        ({"log_tail": ["boom"]}, True),
        # no source could be read at all: unknown
        ({}, None),
        # both read, neither matches: false
        ({"message": "fine", "log_tail": ["fine"]}, False),
    ],
)
def test_any_source_is_decided_by_the_sources_that_could_be_read(
    container: dict[str, Any], expected: bool | None
) -> None:
    condition = AnyOf(
        (predicate("message", "matches", "boom"), predicate("log_tail[*]", "matches", "boom")),
        sources=True,
    )
    verdict = run(condition, container)
    assert verdict.value is expected
    if expected is None:
        assert {m.path for m in verdict.missing} == {"message", "log_tail[*]"}
