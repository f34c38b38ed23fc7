"""Which message fields are sure to have a value whenever a rule fires (`rules lint`).

A field is guaranteed when the facts schema requires it (`pod.name`, `collected.host`), or when
the rule's `when` cannot be true without it: a predicate that holds read its fact (and every
field on the way to it), a regex group outside any optional part of its pattern captured
something, an `as:` name was bound. `all` guarantees what any of its children does, `any` what
all of them do, `not` what its child guarantees by being false (a predicate that is false, and
not unknown, read its fact too). A message field that is neither guaranteed nor given a
fallback or an optional section can print `?`: the lint flags it.
"""

from __future__ import annotations

import itertools
import re
from functools import cache
from typing import Any

from doctor.engine.conditions import All, AnyOf, Condition, Not, Predicate
from doctor.engine.operators import ValueKind
from doctor.engine.paths import FactPath, field_name
from doctor.engine.regex_structure import always_captured
from doctor.engine.rule import Rule
from doctor.engine.templates import Field, Template
from doctor.schema_validation import load_schema

_NOTHING: frozenset[str] = frozenset()
# A count field followed by a plural noun: `restarted {n} times` says "1 times".
_PLURAL_AFTER = re.compile(r"\s+times\b")


def message_problems(rule: Rule) -> list[str]:
    """What `rules lint` says about the rule's message and fix (empty when they are safe)."""
    known = guaranteed_fields(rule)
    problems: list[str] = []
    templates = [("message", rule.message), ("fix", rule.fix)]
    templates += [(f"differential {d.cause}", d.tell) for d in rule.differential]
    for key, template in templates:
        unsafe = [f for f in template.unguarded() if not any(p in known for p in f.paths)]
        for field in dict.fromkeys(unsafe):
            problems.append(
                f"{rule.id}: {key} field {field} can be missing when the rule fires (its `when`"
                f' does not require it): add a fallback {{{field.paths[0]}||"..."}} or put it in'
                " an optional section {?...}"
            )
        for field in dict.fromkeys(_counts_without_plural(template)):
            problems.append(
                f"{rule.id}: {key} field {field} counts `times`: write"
                f" {{{'||'.join(field.paths)}|count:time}} so that 1 prints `1 time`"
            )
    return problems


def _counts_without_plural(template: Template) -> list[Field]:
    parts = template.parts
    return [
        part
        for part, following in itertools.pairwise(parts)
        if isinstance(part, Field)
        and part.filter_name != "count"
        and isinstance(following, str)
        and _PLURAL_AFTER.match(following)
    ]


def guaranteed_fields(rule: Rule) -> frozenset[str]:
    """Message fields that have a value in every finding of the rule."""
    scope = rule.scope.value
    return when_true(rule.when, scope) | schema_fields(scope)


def when_true(condition: Condition, scope: str) -> frozenset[str]:
    if isinstance(condition, Predicate):
        if condition.op.name == "absent":
            return _NOTHING
        found = _read(condition.fact, scope) | _read(condition.per, scope)
        if condition.op.value_kind == ValueKind.REGEX:
            found |= always_captured(condition.value.pattern)
        if condition.bind is not None:
            found |= {condition.bind}
        return found
    if isinstance(condition, All):
        return frozenset().union(*(when_true(c, scope) for c in condition.children))
    if isinstance(condition, AnyOf):
        return _common(when_true(c, scope) for c in condition.children)
    if isinstance(condition, Not):
        return when_false(condition.child, scope)
    return _NOTHING  # a condition kind this analysis does not know guarantees nothing


def when_false(condition: Condition, scope: str) -> frozenset[str]:
    if isinstance(condition, Predicate):
        # False (not unknown) means the fact was there to compare, except that `exists` is
        # false exactly when it is not.
        if condition.op.name == "exists":
            return _NOTHING
        return _read(condition.fact, scope) | _read(condition.per, scope)
    if isinstance(condition, All):  # one child was false, which one is not known
        return _common(when_false(c, scope) for c in condition.children)
    if isinstance(condition, AnyOf):
        children = [when_false(c, scope) for c in condition.children]
        # Strict `any` is false only when every child is; `any_source` when one was decided.
        return _common(children) if condition.sources else frozenset().union(*children)
    if isinstance(condition, Not):
        return when_true(condition.child, scope)
    return _NOTHING


def _common(sets: Any) -> frozenset[str]:
    result: frozenset[str] | None = None
    for found in sets:
        result = found if result is None else result & found
    return result or _NOTHING


def _read(path: FactPath | None, scope: str) -> frozenset[str]:
    """The field a path reads and every field on the way to it: all exist if it does."""
    name = field_name(path, scope) if path is not None else None
    if name is None:
        return _NOTHING
    parts = name.split(".")
    return frozenset(".".join(parts[:n]) for n in range(1, len(parts) + 1))


@cache
def schema_fields(scope: str) -> frozenset[str]:
    """Fields the facts schema requires and never allows to be null, for a rule's scope."""
    schema = load_schema("facts")
    found: set[str] = set()
    _required(schema, schema, "", found)
    found = {name.lstrip(".") for name in found}
    if scope in ("pod", "container"):
        _required(schema, schema["$defs"]["pod"], "pod", found)
    if scope == "container":
        _required(schema, schema["$defs"]["container"], "container", found)
    return frozenset(name for name in found if name.split(".", 1)[0] not in ("schema", "pods"))


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """A schema node with its `$ref` followed and its `allOf` parts merged."""
    while "$ref" in node:
        node = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
    if "allOf" not in node:
        return node
    merged: dict[str, Any] = {"properties": {}, "required": []}
    for part in [node, *(_resolve(schema, p) for p in node["allOf"])]:
        merged["properties"].update(part.get("properties", {}))
        merged["required"] += part.get("required", [])
        for key in ("type", "enum"):
            if key in part:
                merged[key] = part[key]
    return merged


def _nullable(node: dict[str, Any]) -> bool:
    if "enum" in node:
        return None in node["enum"]
    kind = node.get("type")
    return kind is None or kind == "null" or (isinstance(kind, list) and "null" in kind)


def _required(schema: dict[str, Any], node: dict[str, Any], prefix: str, found: set[str]) -> None:
    node = _resolve(schema, node)
    for key in node.get("required", []):
        child = _resolve(schema, node.get("properties", {}).get(key, {}))
        if _nullable(child):
            continue
        name = f"{prefix}.{key}"
        found.add(name)
        if child.get("type") == "object":
            _required(schema, child, name, found)
