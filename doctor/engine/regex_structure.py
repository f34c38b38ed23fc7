"""What a regex's parse tree says about every match: the groups it captures, the text it contains.

Read from Python's own regex parser (`re._parser`: private, but the same module since 3.11 and
what `re.compile` itself uses), so the answers agree with the matcher. A pattern the parser
rejects yields nothing: no group guaranteed, no text required.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

# Below this length a required text is not worth an `in` test before the search.
MIN_REQUIRED_TEXT = 3


def _module(name: str) -> Any:
    return importlib.import_module(f"re.{name}")  # untyped: typeshed has no stubs for it


def _parse(pattern: str) -> Any | None:
    try:
        return _module("_parser").parse(pattern)
    except Exception:  # re.error, or anything odd from a private module
        return None


def always_captured(pattern: str) -> frozenset[str]:
    """The named groups that take part in every match."""
    parsed = _parse(pattern)
    if parsed is None:
        return frozenset()
    names = {number: name for name, number in parsed.state.groupdict.items()}
    return frozenset(names[n] for n in _always_groups(list(parsed)) if n in names)


def _always_groups(items: list[Any]) -> set[int]:
    c = _module("_constants")
    found: set[int] = set()
    for op, argument in items:
        if op is c.SUBPATTERN:
            group, _, _, body = argument
            if group is not None:
                found.add(group)
            found |= _always_groups(list(body))
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
            low, _, body = argument
            if low >= 1:
                found |= _always_groups(list(body))
        elif op is c.BRANCH:
            branches = [_always_groups(list(branch)) for branch in argument[1]]
            found |= set.intersection(*branches) if branches else set()
        elif op in (c.ATOMIC_GROUP, c.ASSERT):
            body = argument if op is c.ATOMIC_GROUP else argument[1]
            found |= _always_groups(list(body))
        elif op is c.GROUPREF_EXISTS:
            _, yes, no = argument
            found |= _always_groups(list(yes)) & (_always_groups(list(no)) if no else set())
    return found


def required_texts(pattern: str) -> tuple[str, ...] | None:
    """Texts one of which every match contains, or None when there are none worth testing.

    `failed to (?:pull|fetch) image` requires "failed to " and " image": the longer is kept;
    `.*(?:[Ee]rror|panic)` requires "rror" or "panic". A line with none of them cannot match,
    so `text in line` may stand before `search`: nanoseconds against microseconds for a pattern
    that begins with an optional group or `.*`, which `re` cannot skip ahead for.
    """
    parsed = _parse(pattern)
    if parsed is None or parsed.state.flags & re.IGNORECASE:
        return None
    best = _best(_required(list(parsed)))
    return best if best and min(map(len, best)) >= MIN_REQUIRED_TEXT else None


def _best(candidates: list[tuple[str, ...]]) -> tuple[str, ...] | None:
    """The most selective candidate: the one whose shortest text is longest, fewest first."""
    useful = [c for c in candidates if c and all(c)]
    return max(useful, key=lambda c: (min(map(len, c)), -len(c)), default=None)


def _required(items: list[Any]) -> list[tuple[str, ...]]:
    """Alternatives that every match of the sequence `items` contains one of.

    Runs of consecutive literals are one-text candidates; a mandatory group or repeat adds the
    candidates of its body; an alternation adds the best candidate of each branch, together,
    when every branch has one. Case-insensitive parts add nothing.
    """
    c = _module("_constants")
    candidates: list[tuple[str, ...]] = []
    run: list[str] = []
    for op, argument in items:
        if op is c.LITERAL:
            run.append(chr(argument))
            continue
        candidates.append(("".join(run),))
        run = []
        if op is c.SUBPATTERN:
            _, add_flags, _, body = argument
            if not add_flags & re.IGNORECASE:
                candidates += _required(list(body))
        elif op is c.ATOMIC_GROUP:
            candidates += _required(list(argument))
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
            low, _, body = argument
            if low >= 1:
                candidates += _required(list(body))
        elif op is c.BRANCH:
            branches = [_best(_required(list(branch))) for branch in argument[1]]
            if branches and all(branches):
                candidates.append(tuple(dict.fromkeys(t for b in branches if b for t in b)))
    candidates.append(("".join(run),))
    return candidates
