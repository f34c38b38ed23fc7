"""The closed set of operators a predicate may use, each a small typed function.

An operator receives every non-null value the fact path selected (one for a plain field, many
for `[*]` paths such as log lines or cgroup samples) and the rule's expected value, and returns a
`Hit` naming the value that satisfied it, or None. Comparisons are typed: a number never equals
a string, and a boolean is not a number. The set is closed and checked at load time: a rule that
names an unknown operator, or gives a value of the wrong kind, does not load.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple


class Hit(NamedTuple):
    """What satisfied an operator: the value shown as evidence and any regex captures.

    A NamedTuple: a large node makes hundreds of thousands.
    """

    value: Any
    captures: dict[str, str] = {}  # noqa: RUF012 - never mutated: merged into new dicts


class ValueKind:
    """What an operator's `value` must be; checked when the rule loads."""

    NONE = "none"  # no value: exists, absent, rising
    SCALAR = "scalar"  # string, number or boolean
    NUMBER = "number"
    LIST = "list"  # a list of scalars
    REGEX = "regex"  # a string compiled as a Python regular expression


OperatorFn = Callable[[Sequence[Any], Any], Hit | None]
# The same test of one selected value: what `min_count` counts (see Operator.each).
ValueTestFn = Callable[[Any, Any], Hit | None]


@dataclass(frozen=True)
class Operator:
    name: str
    value_kind: str
    fn: OperatorFn
    summary: str
    # Whether a missing fact decides the predicate (exists/absent) instead of leaving it unknown.
    decides_missing: bool = False
    # Whether the operator wants a series of samples (rising) rather than any-of semantics.
    series: bool = False
    # Its test of one value, for operators whose hits can be counted: a predicate with
    # `min_count: N` needs N selected values that pass it (one log line is a blip, the same
    # line every ten seconds a stuck device). None: `min_count` does not load with it.
    each: ValueTestFn | None = None


class LazyRegex:
    """A `matches` value: compiled on first use, or handed over compiled.

    A diagnosis evaluates a fraction of the catalog's ~70 regexes; compiling all of them cost
    ~10 ms of every start. Rules parsed from YAML compile theirs at once (that is how a bad one
    is reported); the pre-parsed built-in pack was checked when it was made.

    Texts one of which every match contains (regex_structure) let it skip values without them:
    most catalog patterns begin with an optional group, which `re` cannot skip ahead for. The
    built-in pack hands them over (know_required), so such a regex is compiled only when some
    value holds one of them; any other regex learns them once searched many times (the log
    lines of a node with thousands of pods): the parse costs about what compiling does.
    """

    __slots__ = ("_compiled", "_required", "_searches", "pattern")

    # Searches before the required text is worked out.
    PREFILTER_AFTER = 200

    def __init__(self, pattern: str, compiled: re.Pattern[str] | None = None) -> None:
        self.pattern = pattern
        self._compiled = compiled
        self._required: tuple[str, ...] | None = None
        self._searches = 0

    def search(self, text: str) -> re.Match[str] | None:
        found = self.search_last([text])
        return found[1] if found else None

    def know_required(self, texts: Sequence[str]) -> None:
        """Take the required texts worked out before (the built-in pack keeps them): none
        is learnt, and a regex whose texts are in no value asked is never compiled."""
        self._required = tuple(texts) or None
        self._searches = self.PREFILTER_AFTER

    def search_last(self, values: Sequence[Any]) -> tuple[str, re.Match[str]] | None:
        """The last string among `values` the regex matches, with its match."""
        if self._searches < self.PREFILTER_AFTER:
            self._searches += len(values)
            if self._searches >= self.PREFILTER_AFTER:
                from doctor.engine.regex_structure import required_texts

                self._required = required_texts(self.pattern)
        required = self._required
        if required is None:
            search = self._search()
            for value in reversed(values):
                if type(value) is str and (match := search(value)):
                    return value, match
            return None
        if type(values) is Selected and not _contains_one(values.joined(), required):
            return None  # in no line, since in none of them joined
        if len(required) == 1:
            (part,) = required
            for value in reversed(values):
                if type(value) is str and part in value and (match := self._search()(value)):
                    return value, match
            return None
        for value in reversed(values):
            if type(value) is str and _contains_one(value, required):
                match = self._search()(value)
                if match:
                    return value, match
        return None

    def _search(self) -> Callable[[str], re.Match[str] | None]:
        if self._compiled is None:
            self._compiled = re.compile(self.pattern)
        return self._compiled.search

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LazyRegex) and other.pattern == self.pattern

    def __hash__(self) -> int:
        return hash(self.pattern)

    def __repr__(self) -> str:
        return f"LazyRegex({self.pattern!r})"


class Selected(list[Any]):
    """What a fact path selected, kept by the evaluation for every rule that asks (Context).

    Its strings joined once let a regex whose required text is in none of them skip the lines
    one by one: a pod's log is asked by a dozen regexes, a node's by every pod's.
    """

    __slots__ = ("_joined",)

    # Shorter lists are searched line by line as fast as they are joined.
    MIN_LINES = 8

    def joined(self) -> str:
        if not hasattr(self, "_joined"):
            self._joined = "\n".join(value for value in self if type(value) is str)
        return self._joined


def _contains_one(text: str, parts: tuple[str, ...]) -> bool:
    # A loop, not any(): no generator object per log line.
    for part in parts:  # noqa: SIM110
        if part in text:
            return True
    return False


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def same_type(a: Any, b: Any) -> bool:
    """True when a and b may be compared: both numbers, both strings or both booleans."""
    if _is_number(a) and _is_number(b):
        return True
    return type(a) is type(b) and isinstance(a, str | bool)


def _eq(values: Sequence[Any], expected: Any) -> Hit | None:
    for v in values:
        # Equality first (cheap, usually false), then the type rule (True == 1 in Python).
        if v == expected and same_type(v, expected):
            return Hit(v)
    return None


def _ne(values: Sequence[Any], expected: Any) -> Hit | None:
    # Every selected value differs (for one value: it differs); evidence is the first one.
    if values and not any(same_type(v, expected) and v == expected for v in values):
        return Hit(values[0])
    return None


def _ordering(test: Callable[[float, float], bool]) -> OperatorFn:
    def compare(values: Sequence[Any], expected: Any) -> Hit | None:
        for v in values:
            if _is_number(v) and test(v, expected):
                return Hit(v)
        return None

    return compare


def _in(values: Sequence[Any], expected: Any) -> Hit | None:
    for v in values:
        for option in expected:
            if v == option and same_type(v, option):  # equality first, as in _eq
                return Hit(v)
    return None


def _contains(values: Sequence[Any], expected: Any) -> Hit | None:
    for v in values:
        if isinstance(v, str) and isinstance(expected, str) and expected in v:
            return Hit(v)
        if isinstance(v, list) and any(same_type(e, expected) and e == expected for e in v):
            return Hit(v)
    return None


def _matches(values: Sequence[Any], expected: Any) -> Hit | None:
    pattern: LazyRegex = expected
    # Newest first: log lines are oldest first, and the latest occurrence is the evidence wanted.
    found = pattern.search_last(values)
    if found is None:
        return None
    value, match = found
    return Hit(value, {k: g for k, g in match.groupdict().items() if g is not None})


def _contains_one_value(value: Any, expected: Any) -> Hit | None:
    return _contains([value], expected)


def _matches_one_value(value: Any, expected: Any) -> Hit | None:
    pattern: LazyRegex = expected
    match = pattern.search(value) if type(value) is str else None
    if match is None:
        return None
    return Hit(value, {k: g for k, g in match.groupdict().items() if g is not None})


def _exists(values: Sequence[Any], expected: Any) -> Hit | None:
    return Hit(values[0]) if values else None


def _absent(values: Sequence[Any], expected: Any) -> Hit | None:
    return None if values else Hit(None)


def _rising(values: Sequence[Any], expected: Any) -> Hit | None:
    numbers = [v for v in values if _is_number(v)]
    if len(numbers) >= 2 and numbers[-1] > numbers[0]:
        return Hit(f"{numbers[0]} -> {numbers[-1]}")
    return None


OPERATORS: dict[str, Operator] = {
    op.name: op
    for op in (
        Operator("eq", ValueKind.SCALAR, _eq, "a selected value equals `value` (same type)"),
        Operator("ne", ValueKind.SCALAR, _ne, "no selected value equals `value`"),
        Operator("lt", ValueKind.NUMBER, _ordering(lambda a, b: a < b), "a value < `value`"),
        Operator("le", ValueKind.NUMBER, _ordering(lambda a, b: a <= b), "a value <= `value`"),
        Operator("gt", ValueKind.NUMBER, _ordering(lambda a, b: a > b), "a value > `value`"),
        Operator("ge", ValueKind.NUMBER, _ordering(lambda a, b: a >= b), "a value >= `value`"),
        Operator("in", ValueKind.LIST, _in, "a selected value is one of the list `value`"),
        Operator(
            "contains",
            ValueKind.SCALAR,
            _contains,
            "a selected string contains the substring `value`, or a selected list holds it",
            each=_contains_one_value,
        ),
        Operator(
            "matches",
            ValueKind.REGEX,
            _matches,
            "a selected string matches the regex `value` (re.search; the last matching value"
            " is the evidence, the newest line of a log); named groups become message fields",
            each=_matches_one_value,
        ),
        Operator(
            "exists",
            ValueKind.NONE,
            _exists,
            "the path selects a non-null value",
            decides_missing=True,
        ),
        Operator(
            "absent",
            ValueKind.NONE,
            _absent,
            "the path selects nothing (or only nulls)",
            decides_missing=True,
        ),
        Operator(
            "rising",
            ValueKind.NONE,
            _rising,
            "a counter sampled over time (e.g. `samples[*].nr_throttled`) grew from the first"
            " sample to the last; needs two samples",
            series=True,
        ),
    )
}


def operator_reference() -> str:
    """The Markdown table of operators that docs/rules.md embeds (kept equal by a test)."""
    rows = ["| op | value | `min_count` | true when |", "| --- | --- | --- | --- |"]
    for op in OPERATORS.values():
        countable = "yes" if op.each is not None else ""
        rows.append(f"| `{op.name}` | {op.value_kind} | {countable} | {op.summary} |")
    return "\n".join(rows) + "\n"
