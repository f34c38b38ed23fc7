"""Condition trees (`all` / `any` / `not` over predicates) with three-valued logic.

A predicate whose fact is missing is *unknown*, not false. `all` is false as soon as one child
is false, `any` true as soon as one child is true; otherwise an unknown child makes the whole
tree unknown, and the rule is reported as skipped with the missing facts as the reason.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple, Protocol

from doctor.engine.operators import Hit, Operator, Selected
from doctor.engine.paths import FactPath, PathRoot, compile_path
from doctor.layers import Layer
from doctor.model import Evidence


@dataclass(frozen=True)
class Missing:
    """A fact a predicate needed and did not find; `layer` produced it, if known."""

    path: str
    layer: Layer | None
    detail: str = "missing"


class Verdict(NamedTuple):
    """A condition's outcome; a NamedTuple because millions are made on a large node."""

    value: bool | None
    evidence: tuple[Evidence, ...] = ()
    captures: dict[str, Any] = {}  # noqa: RUF012 - never mutated: merged into new dicts
    missing: tuple[Missing, ...] = ()


@dataclass(frozen=True)
class Context:
    """What a condition is evaluated against: the document, the pod and the scope object.

    The memos hold answers worked out once rather than once per rule or per object: what a fact
    path selects (keyed by its text, which decides what it reads) and a predicate's verdict
    (keyed by a number for its meaning, shared by equal predicates of different rules). Each
    answer goes where every context that can ask shares it: `memo` is the scope object's own,
    `pod_memo` is shared by the pod and its containers (every container of a pod asks the same
    of the pod's log lines), `document_memo` by every context. The facts are never changed
    while they are evaluated.
    """

    document: Any
    pod: Any
    scope: Any
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)
    pod_memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)
    document_memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)
    # The three, indexed by MEMO_SLOT[root]: looked up on every predicate.
    memos: tuple[dict[Any, Any], ...] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "memos", (self.memo, self.pod_memo, self.document_memo))

    def values(self, path: FactPath) -> list[Any] | None:
        """`path.values` here, remembered where every context that can ask shares it."""
        memo = self.memos[MEMO_SLOT[path.root]]
        if path.text in memo:
            found: list[Any] | None = memo[path.text]
            return found
        found = memo[path.text] = _kept(path.values(self.document, self.pod, self.scope))
        return found


# A log line's or an event's message, selected out of its entries: `…log[*].message`.
_MESSAGE_OF_ENTRIES = re.compile(r"(.*\[\*\])\.message")
# The entries' path for each message path (None: not one), worked out on a path's first hit.
_ENTRIES: dict[str, FactPath | None] = {}


def _written_at(ctx: Context, fact: FactPath, message: Any, newest: bool) -> str | None:
    """When the log line or event whose message is the evidence was written (last seen).

    Asked only of a predicate that holds; the entries are those its message was selected from,
    searched from the end for an operator whose evidence is the newest value (`matches`).
    """
    if type(message) is not str:
        return None
    if fact.text not in _ENTRIES:
        found = _MESSAGE_OF_ENTRIES.fullmatch(fact.text)
        # The scope only decides a `pod.` path's root, which a container rule's has too.
        _ENTRIES[fact.text] = compile_path(found[1], "container") if found else None
    entries_path = _ENTRIES[fact.text]
    if entries_path is None:
        return None
    entries = ctx.values(entries_path) or ()
    for entry in reversed(entries) if newest else entries:
        if isinstance(entry, dict) and entry.get("message") == message:
            at = entry.get("time") or entry.get("last_seen")
            return at if isinstance(at, str) else None
    return None


def _kept(values: list[Any] | None) -> list[Any] | None:
    return Selected(values) if values is not None and len(values) >= Selected.MIN_LINES else values


MEMO_SLOT = {PathRoot.SCOPE: 0, PathRoot.POD: 1, PathRoot.DOCUMENT: 2}


class Condition(Protocol):
    def evaluate(self, ctx: Context) -> Verdict: ...

    def predicates(self) -> list[Predicate]: ...


_FALSE = Verdict(False)
# Each distinct predicate meaning (what it reads and how it compares) and its number.
_PREDICATE_KEYS: dict[tuple[Any, ...], int] = {}


def _hashable(value: Any) -> Any:
    """A rule's expected value as a dictionary key: its type too (1, 1.0 and True differ)."""
    if isinstance(value, list):
        return (list, tuple(_hashable(v) for v in value))
    try:
        hash(value)
    except TypeError:  # nothing the rule schema allows, but never a crash at load
        return (type(value), repr(value))
    return (type(value), value)


@dataclass(frozen=True)
class Predicate:
    fact: FactPath
    op: Operator
    value: Any = None
    per: FactPath | None = None  # ratio test: the fact divided by this one
    expected_text: Any = None  # the value as written in the rule, for evidence
    bind: str | None = None  # `as:` name under which the matching value reaches the message
    # At least this many selected values must pass (operators with Operator.each); the
    # evidence is then the count and the newest matching values, the binding the newest.
    min_count: int | None = None
    # Worked out once: a large node evaluates each predicate hundreds of thousands of times.
    _plain: bool = field(init=False, repr=False, compare=False)
    _unknown: Verdict = field(init=False, repr=False, compare=False)
    # Where the verdict is remembered: the scope object's memo, or the pod's or the document's
    # when the predicate reads nothing else; under a key that equal predicates share (rules
    # repeat `state eq CONTAINER_EXITED`): an int, apart from the path texts in the same memo.
    _slot: int = field(init=False, repr=False, compare=False)  # of its memo (MEMO_SLOT)
    _key: int = field(init=False, repr=False, compare=False)
    _fact_slot: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        plain = self.per is None and not self.op.series and not self.op.decides_missing
        object.__setattr__(self, "_plain", plain)
        missing = (Missing(self.fact.text, self.fact.layer),)
        object.__setattr__(self, "_unknown", Verdict(None, missing=missing))
        roots = {self.fact.root} | ({self.per.root} if self.per is not None else set())
        shared = PathRoot.SCOPE
        if PathRoot.SCOPE not in roots:
            shared = PathRoot.POD if PathRoot.POD in roots else PathRoot.DOCUMENT
        object.__setattr__(self, "_slot", MEMO_SLOT[shared])
        object.__setattr__(self, "_fact_slot", MEMO_SLOT[self.fact.root])
        meaning = (
            self.fact.root,
            self.fact.text,
            self.op.name,
            _hashable(self.value),
            self.per.text if self.per is not None else None,
            _hashable(self.expected_text),
            self.bind,
            self.min_count,
        )
        object.__setattr__(self, "_key", _PREDICATE_KEYS.setdefault(meaning, len(_PREDICATE_KEYS)))

    def _observe(self, ctx: Context) -> list[Any] | Verdict:
        """The values the operator compares (the ratio, for `per`), or the verdict already due."""
        values = ctx.values(self.fact)
        if values is None:
            if not self.op.decides_missing:
                return self._unknown
            values = []
        if self.per is not None:
            ratio = self._ratio(values, ctx)
            return ratio if isinstance(ratio, Verdict) else [ratio]
        if self.op.series and len(values) < 2:
            got = "one" if values else "none"
            detail = f"needs two samples, got {got}"
            return Verdict(None, missing=(Missing(self.fact.text, self.fact.layer, detail),))
        return values

    def evaluate(self, ctx: Context) -> Verdict:
        memo = ctx.memos[self._slot]
        verdict: Verdict | None = memo.get(self._key)
        if verdict is None:
            verdict = memo[self._key] = self._evaluate(ctx)
        return verdict

    def _evaluate(self, ctx: Context) -> Verdict:
        if self._plain:  # the common case, without _observe's questions (Context.values inline)
            memo = ctx.memos[self._fact_slot]
            text = self.fact.text
            if text in memo:
                values: list[Any] | Verdict | None = memo[text]
            else:
                values = memo[text] = _kept(self.fact.values(ctx.document, ctx.pod, ctx.scope))
            if values is None:
                return self._unknown
        else:
            values = self._observe(ctx)
            if isinstance(values, Verdict):
                return values
        if self.min_count is None:
            hit: Hit | None = self.op.fn(values, self.value)
            if hit is None:
                return _FALSE
            shown = hit.value
        else:
            counted = self._counted(values)
            if counted is None:
                return _FALSE
            hit, shown = counted

        at = _written_at(ctx, self.fact, hit.value, newest=self._newest)
        evidence = Evidence(self._label(), shown, self.op.name, self.expected_text, at)
        if self.bind is None:
            return Verdict(True, (evidence,), hit.captures)
        return Verdict(True, (evidence,), {**hit.captures, self.bind: hit.value})

    # Matching values a `min_count` finding shows: the newest, enough to see the repetition.
    SHOWN_MATCHES = 10

    def _counted(self, values: Sequence[Any]) -> tuple[Hit, dict[str, Any]] | None:
        """The newest hit and the evidence of all, when at least min_count values pass."""
        each = self.op.each
        assert each is not None and self.min_count is not None  # the loader sees to it
        hits = [hit for value in values if (hit := each(value, self.value)) is not None]
        if len(hits) < self.min_count:
            return None
        shown = [hit.value for hit in hits[-self.SHOWN_MATCHES :]]
        return hits[-1], {"count": len(hits), "values": shown}

    @property
    def _newest(self) -> bool:
        """Whether the evidence is the newest value that passed (else the first)."""
        return self.op.name == "matches" or self.min_count is not None

    def seen(self, ctx: Context) -> tuple[Evidence, ...]:
        """What the predicate saw, as evidence for a `not` that holds because it was false."""
        observed = self._observe(ctx)
        if isinstance(observed, Verdict):  # e.g. "0 / 0" for a ratio over an idle window
            return tuple(replace(e, negated=True) for e in observed.evidence)
        shown = None if not observed else observed[0] if len(observed) == 1 else observed[:3]
        return (Evidence(self._label(), shown, self.op.name, self.expected_text, negated=True),)

    def _label(self) -> str:
        return self.fact.text if self.per is None else f"{self.fact.text} / {self.per.text}"

    def _ratio(self, numerators: list[Any], ctx: Context) -> float | Verdict:
        assert self.per is not None
        denominators = ctx.values(self.per)
        if not numerators:
            return Verdict(None, missing=(Missing(self.fact.text, self.fact.layer),))
        if not denominators:
            return Verdict(None, missing=(Missing(self.per.text, self.per.layer),))
        if len(numerators) >= 2 and len(denominators) >= 2:
            top, bottom = numerators[-1] - numerators[0], denominators[-1] - denominators[0]
        else:
            top, bottom = numerators[-1], denominators[-1]
        if not bottom:
            # Nothing elapsed in the window (no CFS periods): there is nothing to be a ratio of.
            return Verdict(False, (Evidence(self._label(), "0 / 0", self.op.name, self.value),))
        return round(float(top) / float(bottom), 4)

    def predicates(self) -> list[Predicate]:
        return [self]


@dataclass(frozen=True)
class All:
    children: tuple[Condition, ...]

    def evaluate(self, ctx: Context) -> Verdict:
        evidence: list[Evidence] = []
        captures: dict[str, Any] = {}
        missing: list[Missing] = []
        for child in self.children:
            value, seen, captured, unknown = child.evaluate(ctx)
            if value is False:
                return _FALSE
            if value is None:
                missing += unknown
            else:
                evidence += seen
                if captured:
                    captures.update(captured)
        if missing:
            return Verdict(None, missing=tuple(missing))
        return Verdict(True, tuple(evidence), captures)

    def predicates(self) -> list[Predicate]:
        return [p for child in self.children for p in child.predicates()]


@dataclass(frozen=True)
class AnyOf:
    """`any` (strict three-valued) or, with `sources`, `any_source`.

    `any_source` lists alternative evidence sources for one fact (a log, the events, a status):
    true when any child is true; false when none is and at least one child could be decided,
    even if others were missing; unknown only when no child could be decided. So a rule that
    checks the containerd log *and* the pod's events stays decidable on a node where the
    apiserver's events were not available, and is skipped only when it could look nowhere.
    """

    children: tuple[Condition, ...]
    sources: bool = False

    def evaluate(self, ctx: Context) -> Verdict:
        missing: list[Missing] = []
        decided = False
        for child in self.children:
            verdict = child.evaluate(ctx)
            if verdict.value is True:
                return verdict
            if verdict.value is None:
                missing.extend(verdict.missing)
            else:
                decided = True
        if not missing or (self.sources and decided):
            return _FALSE
        return Verdict(None, missing=tuple(missing))

    def predicates(self) -> list[Predicate]:
        return [p for child in self.children for p in child.predicates()]


@dataclass(frozen=True)
class Not:
    child: Condition
    _seen_by: tuple[Predicate, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_seen_by", tuple(self.child.predicates()))

    def evaluate(self, ctx: Context) -> Verdict:
        verdict = self.child.evaluate(ctx)
        if verdict.value is None:
            return verdict
        if verdict.value:
            return _FALSE
        # The child was false: what its predicates saw is the evidence that the negation holds.
        seen = (e for p in self._seen_by for e in p.seen(ctx))
        return Verdict(True, tuple(replace(e, negated=True) for e in seen))

    def predicates(self) -> list[Predicate]:
        return self.child.predicates()
