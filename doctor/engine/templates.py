"""Message and fix templates: `{container.exit_code}`, `{pod.name}`, `{capture}`.

Fields are dotted paths into the scope's facts (`pod`, `container`, `collected`, `layers`) or the
names of regex groups captured by the rule's `matches` predicates (or `as:` bindings); every
field is checked when the rule loads. Alternatives separated by `||` take the first that has a
value, and a quoted last alternative is the text to print when none has:
`{socket||layers.cri.endpoint||"the CRI socket"}`. A filter may follow:
`{container.resources.memory_limit_bytes|bytes}` prints 256Mi, `{ratio|percent}` prints 42%,
`{container.restart_count|count:time}` prints `1 time` or `3 times`.

`{?...}` is an optional section: it prints only when every field in it has a value, so
`exited{? with code {container.exit_code}}` never says "with code ?". A field outside any
section, with no fallback, that has no value prints `?`; `stackdoctor rules lint` flags such
a field unless the rule's `when` guarantees it (guarantees.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# What a field with no value and no fallback prints (read at render time: tests replace it to
# find such fields exactly).
MISSING = "?"

_PATH = r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_-]+)*"
_LITERAL = r'"[^"{}|]*"'
_ALTERNATIVE = re.compile(rf"{_PATH}|{_LITERAL}")
_FIELD = re.compile(
    rf"\{{((?:{_PATH}|{_LITERAL})(?:\|\|(?:{_PATH}|{_LITERAL}))*)"
    r"(?:\|([a-z]+)(?::([^{}|\"]+))?)?\}"
)
# A top-level piece: an optional section (text and fields), or anything in braces.
_PIECE = re.compile(r"\{\?(?:[^{}]|\{[^{}]*\})*\}|\{[^{}]*\}")
_BRACED = re.compile(r"\{[^{}]*\}")

ROOTS_BY_SCOPE: dict[str, frozenset[str]] = {
    "node": frozenset({"collected", "layers"}),
    "pod": frozenset({"collected", "layers", "pod"}),
    "container": frozenset({"collected", "layers", "pod", "container"}),
}


class TemplateError(ValueError):
    """A template names a field that can never have a value, or is malformed."""


@dataclass(frozen=True)
class Field:
    """`{a||b||"fallback"|filter:argument}`."""

    paths: tuple[str, ...]
    fallback: str | None = None
    filter_name: str | None = None
    argument: str | None = None
    _steps: tuple[tuple[str, ...], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Split once: a node with thousands of pods renders each message thousands of times.
        object.__setattr__(self, "_steps", tuple(tuple(p.split(".")) for p in self.paths))

    def value(self, values: dict[str, Any]) -> str | None:
        """The text to print, or None when no alternative has a value and there is no fallback."""
        for steps in self._steps:
            found = _lookup(values, steps)
            if found is not None:
                if self.filter_name is None:
                    return _format(found)
                return FILTERS[self.filter_name](found, self.argument)
        return self.fallback

    def __str__(self) -> str:
        alternatives = [*self.paths, *([f'"{self.fallback}"'] if self.fallback is not None else [])]
        text = "||".join(alternatives)
        if self.filter_name:
            text += f"|{self.filter_name}" + (f":{self.argument}" if self.argument else "")
        return "{" + text + "}"


@dataclass(frozen=True)
class Section:
    """`{?text {field} text}`: printed only when every field in it has a value."""

    parts: tuple[str | Field, ...]


Part = str | Field | Section


@dataclass(frozen=True)
class Template:
    text: str
    fields: tuple[str, ...]  # every path named, in order (fallback texts are not fields)
    parts: tuple[Part, ...] = ()

    def render(self, values: dict[str, Any]) -> str:
        if not self.fields:
            return self.text
        out: list[str] = []
        value_ended = False  # the last piece was a value that ends a sentence
        for part in self.parts:
            if isinstance(part, str):
                out.append(_after_value(part) if value_ended else part)
                value_ended = False
            elif isinstance(part, Field):
                text = part.value(values)
                out.append(MISSING if text is None else text)
                value_ended = text is not None and _ends_sentence(text)
            else:
                section = _render_section(part, values)
                if section is not None:
                    out.append(section)
                    value_ended = _ends_sentence(section)
        return "".join(out)

    def unguarded(self) -> tuple[Field, ...]:
        """The fields that print `?` when they have no value: outside sections, no fallback."""
        return tuple(p for p in self.parts if isinstance(p, Field) and p.fallback is None)


def _render_section(section: Section, values: dict[str, Any]) -> str | None:
    out: list[str] = []
    value_ended = False
    for part in section.parts:
        if isinstance(part, str):
            out.append(_after_value(part) if value_ended else part)
            value_ended = False
        else:
            text = part.value(values)
            if text is None:
                return None
            out.append(text)
            value_ended = _ends_sentence(text)
    return "".join(out)


def _ends_sentence(text: str) -> bool:
    return text.endswith(".") and not text.endswith("..")


def _after_value(text: str) -> str:
    """The text that follows a value ending its own sentence: a captured line that ends with a
    period (`... permission denied: unknown.`) and a template's `{error}. No container...`
    would print two."""
    return text[1:] if text.startswith(".") else text


def compile_template(text: str, scope: str, captures: frozenset[str]) -> Template:
    parts: list[Part] = []
    position = 0
    for piece in _PIECE.finditer(text):
        parts.extend(_plain(text, text[position : piece.start()]))
        braced = piece.group()
        if braced.startswith("{?"):
            parts.append(_section(text, braced[2:-1], scope, captures))
        else:
            parts.append(_field(text, braced, scope, captures))
        position = piece.end()
    parts.extend(_plain(text, text[position:]))
    fields = tuple(
        path
        for part in parts
        for field in (part.parts if isinstance(part, Section) else (part,))
        if isinstance(field, Field)
        for path in field.paths
    )
    return Template(text, fields, tuple(parts))


def _plain(template: str, text: str) -> list[str]:
    if "{" in text or "}" in text:
        raise TemplateError(f"template {template!r}: unbalanced or malformed braces")
    return [text] if text else []


def _section(template: str, body: str, scope: str, captures: frozenset[str]) -> Section:
    parts: list[str | Field] = []
    position = 0
    for braced in _BRACED.finditer(body):
        parts.extend(_plain(template, body[position : braced.start()]))
        parts.append(_field(template, braced.group(), scope, captures))
        position = braced.end()
    parts.extend(_plain(template, body[position:]))
    if not any(isinstance(part, Field) for part in parts):
        raise TemplateError(f"template {template!r}: an optional section {{?...}} without a field")
    return Section(tuple(parts))


def _field(template: str, braced: str, scope: str, captures: frozenset[str]) -> Field:
    match = _FIELD.fullmatch(braced)
    if match is None:
        raise TemplateError(f"template {template!r}: unbalanced or malformed braces")
    alternatives, filter_name, argument = match.groups()
    names = _ALTERNATIVE.findall(alternatives)
    literals = [n for n in names if n.startswith('"')]
    if literals and (len(literals) > 1 or not names[-1].startswith('"')):
        raise TemplateError(
            f"template field {braced}: a quoted fallback comes once, after the last path"
        )
    paths = tuple(n for n in names if not n.startswith('"'))
    if not paths:
        raise TemplateError(f"template field {braced}: names no fact, only a fallback text")
    _check_filter(braced, filter_name, argument)
    allowed = ROOTS_BY_SCOPE[scope]
    for name in paths:
        root = name.split(".", 1)[0]
        if root in captures and "." not in name:
            continue
        if root not in allowed:
            known = sorted(allowed | captures)
            raise TemplateError(
                f"template field {{{name}}}: {root!r} is not a {scope}-scope fact root or a regex"
                f" group of this rule (known: {', '.join(known)})"
            )
    fallback = literals[0][1:-1] if literals else None
    return Field(paths, fallback, filter_name, argument)


def _check_filter(braced: str, filter_name: str | None, argument: str | None) -> None:
    if filter_name is None:
        return
    if filter_name not in FILTERS:
        raise TemplateError(
            f"template field {braced}: unknown filter (known: {', '.join(sorted(FILTERS))})"
        )
    if filter_name in ARGUMENT_FILTERS and not argument:
        raise TemplateError(f"template field {braced}: |{filter_name} needs a noun: |count:time")
    if filter_name not in ARGUMENT_FILTERS and argument:
        raise TemplateError(f"template field {braced}: |{filter_name} takes no argument")


def _lookup(values: dict[str, Any], steps: tuple[str, ...]) -> Any:
    node: Any = values
    for part in steps:
        if isinstance(node, dict):
            node = node.get(part)
            if node is None:
                return None
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]  # `{layers.cri.errors.0.message}`: the first error
        else:
            return None
    return node


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _bytes(value: Any, _: str | None = None) -> str:
    if not _is_number(value):
        return _format(value)
    amount = float(value)
    for unit in ("", "Ki", "Mi", "Gi", "Ti"):
        if abs(amount) < 1024 or unit == "Ti":
            return (
                f"{amount:.0f}{unit}"
                if unit == "" or amount.is_integer()
                else f"{amount:.1f}{unit}"
            )
        amount /= 1024
    raise AssertionError("unreachable")


def _percent(value: Any, _: str | None = None) -> str:
    if not _is_number(value):
        return _format(value)
    return f"{value * 100:.0f}%"


_ONE = re.compile(r"\s*1(?:\.0*)?\s*")


def _count(value: Any, noun: str | None) -> str:
    """`3 times`, `1 time`; `count:entry/entries` for an irregular plural."""
    assert noun is not None  # checked when the template compiled
    singular, _, plural = noun.partition("/")
    # Regex captures are text: "1" counts as one too.
    if _is_number(value):
        one = value == 1
    else:
        one = isinstance(value, str) and _ONE.fullmatch(value) is not None
    return f"{_format(value)} {singular if one else plural or singular + 's'}"


FILTERS: dict[str, Callable[[Any, str | None], str]] = {
    "bytes": _bytes,
    "count": _count,
    "percent": _percent,
}
ARGUMENT_FILTERS = frozenset({"count"})


def _format(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    # a captured line's trailing blanks (CoreDNS ends `loop detected ` with one) are not text
    return str(value).rstrip()
