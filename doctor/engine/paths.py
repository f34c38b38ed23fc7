"""Fact paths: jsonpath expressions parsed once at load time, evaluated many times.

A path is absolute (`$.layers.cri.status`), relative to the rule's scope object
(`exit_code` on a container), or, in container scope, relative to the enclosing pod
(`pod.name`). Plain field/index/`[*]` chains, which are nearly all paths, are tokenised here
and compiled to a direct walk; anything richer (filters) is parsed and evaluated by jsonpath-ng,
whose parser is built once, and only when a rule needs it (building it costs ~40 ms).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from typing import Any

from doctor.engine.operators import same_type
from doctor.facts.document import relative_fact_layers
from doctor.layers import LAYER_NAMES, Layer


class PathRoot(StrEnum):
    DOCUMENT = "document"
    POD = "pod"
    SCOPE = "scope"


class PathSyntaxError(ValueError):
    """A fact path that jsonpath cannot parse."""


_ALL = object()  # step marker for `[*]`
Step = str | int | object
# A walker returns the selected values, or None when the path leads nowhere (the fact is
# missing) as opposed to [] when it selects the items of an existing, empty list.
Walker = Callable[[Any], list[Any] | None]


# Unambiguous by construction (every later key needs its dot), so matching is linear.
_SIMPLE_PATH = re.compile(
    r"(?:\$|[A-Za-z_][A-Za-z0-9_-]*)"
    r"(?:\.[A-Za-z_][A-Za-z0-9_-]*|\[(?:\*|-?\d+)\]|\[\?[^\[\]&]*(?:&[^\[\]&]*)*\])*"
)
_SIMPLE_STEP = re.compile(r"\.?([A-Za-z_][A-Za-z0-9_-]*)|\[(\*|-?\d+)\]|\[\?([^\[\]]*)\]")
_FILTER_TEST = re.compile(
    r"\s*([A-Za-z_][A-Za-z0-9_-]*)\s*(==|!=|<=|>=|<|>)\s*"
    r"(\"[^\"]*\"|'[^']*'|-?\d+(?:\.\d+)?|true|false|null)\s*"
)
_LITERALS: dict[str, Any] = {"true": True, "false": False, "null": None}


@dataclass(frozen=True)
class _Filter:
    """`[?a == "x" & b > 1]` over a list: keep the mappings that pass every test.

    Comparisons are typed like the operators: `==` needs the same type (a number never equals a
    string, false is not 0), `<`/`>` compare numbers only; a missing field passes nothing but
    `!=`. jsonpath-ng raises on `None > 0.9`; here that item just does not match.
    """

    tests: tuple[tuple[str, str, Any], ...]

    def keeps(self, item: Any) -> bool:
        if type(item) is not dict:
            return False
        for field_name, op, literal in self.tests:
            value = item.get(field_name)
            equal = (
                value is None if literal is None else same_type(value, literal) and value == literal
            )
            if op == "==":
                passed = equal
            elif op == "!=":
                passed = not equal
            else:
                passed = _is_number(value) and _is_number(literal) and _ORDER[op](value, literal)
            if not passed:
                return False
        return True


_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _parse_filter(body: str) -> _Filter | None:
    tests: list[tuple[str, str, Any]] = []
    for part in body.split("&"):
        match = _FILTER_TEST.fullmatch(part)
        if match is None:
            return None
        field_name, op, text = match.groups()
        if text[0] in "\"'":
            literal: Any = text[1:-1]
        elif text in _LITERALS:
            literal = _LITERALS[text]
        else:
            literal = float(text) if "." in text else int(text)
        tests.append((field_name, op, literal))
    return _Filter(tuple(tests))


def _simple_steps(expression: str) -> list[Step] | None:
    """Steps of a plain `a.b[0].c[*]` chain, with simple `[?field op literal]` filters.

    None for anything else, which jsonpath-ng then parses.
    """
    if not _SIMPLE_PATH.fullmatch(expression):
        return None
    body = expression[1:] if expression.startswith("$") else expression
    if expression.startswith("$") and body.startswith("["):
        return None  # `$[0]`: the document root is never a list
    steps: list[Step] = []
    for match in _SIMPLE_STEP.finditer(body):
        key, index, filter_body = match.groups()
        if key is not None:
            steps.append(key)
        elif index is not None:
            steps.append(_ALL if index == "*" else int(index))
        else:
            parsed = _parse_filter(filter_body)
            if parsed is None:
                return None
            steps.append(parsed)
    return steps


@cache
def _jsonpath_parser() -> Any:
    from jsonpath_ng.ext import parser

    # jsonpath-ng fixed the class name's typo; releases before 1.8 have only the old spelling,
    # newer ones serve it as a deprecated alias.
    parser_class: Any = getattr(parser, "ExtendedJsonPathParser", None)
    if parser_class is None:
        parser_class = parser.ExtentedJsonPathParser
    return parser_class()


def _flatten(expr: Any) -> list[Any] | None:
    """The expression as a flat list of steps, or None if it is not a plain chain."""
    from jsonpath_ng import Child, Fields, Index, Root, Slice

    if isinstance(expr, Child):
        left, right = _flatten(expr.left), _flatten(expr.right)
        return None if left is None or right is None else left + right
    if isinstance(expr, Root):
        return []
    if isinstance(expr, Fields) and len(expr.fields) == 1 and expr.fields[0] != "*":
        return [expr.fields[0]]
    if isinstance(expr, Index) and len(expr.indices) == 1:
        return [expr.indices[0]]
    if isinstance(expr, Slice) and expr.start is None and expr.end is None and expr.step is None:
        return [_ALL]
    return None


def _walker(steps: list[Step]) -> Walker:
    if all(isinstance(step, str) for step in steps):
        return _key_walker([str(step) for step in steps])
    if steps.count(_ALL) == 1 and all(isinstance(s, str) or s is _ALL for s in steps):
        star = steps.index(_ALL)
        return _star_walker([str(s) for s in steps[:star]], [str(s) for s in steps[star + 1 :]])
    return _general_walker(steps)


def _general_walker(steps: list[Step]) -> Walker:
    def walk(root: Any) -> list[Any] | None:
        current = [root]
        for step in steps:
            following: list[Any] = []
            expanded_lists = True
            for node in current:
                if isinstance(step, _Filter):
                    if isinstance(node, list):
                        following.extend(item for item in node if step.keeps(item))
                    else:
                        expanded_lists = False
                elif step is _ALL:
                    if isinstance(node, list):
                        following.extend(node)
                    else:
                        expanded_lists = False

                elif isinstance(step, str):
                    if isinstance(node, dict) and step in node:
                        following.append(node[step])
                elif (
                    isinstance(node, list)
                    and isinstance(step, int)
                    and -len(node) <= step < len(node)
                ):
                    following.append(node[step])

            current = following
            if not current:
                # `[*]` or a filter over lists that exist: looked, found nothing.
                return (
                    [] if (step is _ALL or isinstance(step, _Filter)) and expanded_lists else None
                )

        return current

    return walk


def _star_walker(before: list[str], after: list[str]) -> Walker:
    """`a.b[*].c`, the shape of every log path: the general walk's answers, for one list."""

    def walk(root: Any) -> list[Any] | None:
        node = root
        for key in before:
            if not isinstance(node, dict) or key not in node:
                return None
            node = node[key]
        if not isinstance(node, list):
            return None
        if not node:
            return []  # looked, found nothing: the list exists and is empty
        current: list[Any] = node
        for key in after:
            current = [item[key] for item in current if isinstance(item, dict) and key in item]
            if not current:
                return None
        return list(current) if current is node else current

    return walk


def _key_walker(keys: list[str]) -> Walker:
    """The common case, a chain of mapping keys: at most one value, no lists to expand."""

    def walk(root: Any) -> list[Any] | None:
        node = root
        for key in keys:
            if type(node) is not dict:
                return None
            node = node.get(key)
            if node is None:  # missing and null are the same to a rule: not known
                return None
        return [node]

    return walk


@dataclass(frozen=True)
class FactPath:
    text: str
    root: PathRoot
    layer: Layer | None = field(compare=False)
    _walk: Walker = field(compare=False, repr=False)

    def values(self, document: Any, pod: Any, scope: Any) -> list[Any] | None:
        """The non-null values the path selects; None when the fact is missing.

        An empty list is an answer (a log that was read and had no such line); a null value is
        not (the gatherer could not tell), so nulls count as missing.
        """
        if self.root is PathRoot.DOCUMENT:
            origin = document
        else:
            origin = pod if self.root is PathRoot.POD else scope
        found = self._walk(origin)
        if not found:
            return found
        if len(found) == 1:
            return None if found[0] is None else found
        values = [v for v in found if v is not None]
        return values or None


@cache
def compile_path(text: str, scope: str) -> FactPath:
    """Parse `text` for a rule of the given scope; raise PathSyntaxError on bad syntax.

    Cached: a FactPath is immutable, and the catalog's ~580 paths are ~115 distinct ones."""
    root = PathRoot.SCOPE
    expression = text
    if text.startswith("$"):
        root = PathRoot.DOCUMENT
    elif scope in ("container", "pod") and (text == "pod" or text.startswith("pod.")):
        root = PathRoot.POD
        expression = text[4:] if text.startswith("pod.") else "$"
    elif scope == "node":
        raise PathSyntaxError(f"fact path {text!r}: node rules use absolute paths ($.layers...)")
    steps = _simple_steps(expression)
    if steps is not None:
        return FactPath(text, root, _layer_of(text, root), _walker(steps))
    try:
        parsed = _jsonpath_parser().parse(expression)
    except Exception as exc:  # jsonpath-ng's lexer raises bare Exception
        raise PathSyntaxError(f"fact path {text!r}: {exc}") from None
    steps = _flatten(parsed)
    walk = _walker(steps) if steps is not None else _generic(parsed)
    return FactPath(text, root, _layer_of(text, root), walk)


def field_name(path: FactPath, scope: str) -> str | None:
    """The message field that reads what `path` reads, cut at its first `[*]`, filter or
    negative index: `cgroup.memory.usage_bytes` on a container is
    `container.cgroup.memory.usage_bytes`, `$.layers.cri.errors[0].message` is
    `layers.cri.errors.0.message`. None when no field can name it (`$.pods[*]...`).
    """
    if path.root is PathRoot.DOCUMENT:
        parts, expression = [], path.text
    elif path.root is PathRoot.POD:
        parts, expression = ["pod"], path.text[4:] if path.text.startswith("pod.") else "$"
    else:
        parts, expression = [scope], path.text
    steps = _simple_steps(expression)
    if steps is None:
        return None
    for step in steps:
        if isinstance(step, str):
            parts.append(step)
        elif isinstance(step, int) and step >= 0:
            parts.append(str(step))
        else:
            break
    if not parts or (path.root is PathRoot.DOCUMENT and parts[0] not in ("collected", "layers")):
        return None
    return ".".join(parts)


def _generic(parsed: Any) -> Walker:
    def walk(root: Any) -> list[Any] | None:
        return [match.value for match in parsed.find(root)] or None

    return walk


def _layer_of(text: str, root: PathRoot) -> Layer | None:
    """The layer whose gatherer produced the fact, for skip reasons."""
    parts = [p for p in text.replace("[", ".").split(".") if p and p != "$"]
    if root is PathRoot.DOCUMENT:
        if len(parts) >= 2 and parts[0] == "layers" and parts[1] in LAYER_NAMES:
            return Layer(parts[1])
        if not parts or parts[0] != "pods":
            return None
        # `$.pods[*].events[*]...`, `$.pods[*].containers[*].cgroup...`: as if relative.
        parts = [p for p in parts[1:] if not p.endswith("]") and p != "containers"]
    elif root is PathRoot.POD:
        parts = parts[1:] if parts and parts[0] == "pod" else parts
    head = parts[0] if parts else ""
    return relative_fact_layers().get(head, Layer.CRI)
