"""Message and fix templates: `{container.exit_code}`, `{pod.name}`, `{capture}`.

Fields are dotted paths into the scope's facts (`pod`, `container`, `collected`, `layers`) or the
names of regex groups captured by the rule's `matches` predicates. Every field is checked when
the rule loads; at render time a field with no value prints as `?`. Alternatives separated by
`||` take the first that has a value: `{socket||layers.cri.endpoint}`. A filter may follow:
`{container.resources.memory_limit_bytes|bytes}` prints 256Mi, `{ratio|percent}` prints 42%.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_PATH = r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_-]+)*"
_FIELD = re.compile(r"\{(" + _PATH + r"(?:\|\|" + _PATH + r")*)(?:\|([a-z]+))?\}")

ROOTS_BY_SCOPE: dict[str, frozenset[str]] = {
    "node": frozenset({"collected", "layers"}),
    "pod": frozenset({"collected", "layers", "pod"}),
    "container": frozenset({"collected", "layers", "pod", "container"}),
}


class TemplateError(ValueError):
    """A template names a field that can never have a value."""


@dataclass(frozen=True)
class Template:
    text: str
    fields: tuple[str, ...]

    def render(self, values: dict[str, Any]) -> str:
        if not self.fields:
            return self.text

        def substitute(match: re.Match[str]) -> str:
            value = None
            for name in match.group(1).split("||"):
                value = _lookup(values, name)
                if value is not None:
                    break
            return _format(value, match.group(2))

        return _FIELD.sub(substitute, self.text)


def compile_template(text: str, scope: str, captures: frozenset[str]) -> Template:
    found = [(name, filter_name) for names, filter_name in _FIELD.findall(text)
             for name in names.split("||")]  # fmt: skip
    fields = tuple(name for name, _ in found)
    allowed = ROOTS_BY_SCOPE[scope]
    for name, filter_name in found:
        if filter_name and filter_name not in FILTERS:
            raise TemplateError(
                f"template field {{{name}|{filter_name}}}: unknown filter (known: "
                f"{', '.join(sorted(FILTERS))})"
            )
        root = name.split(".", 1)[0]
        if root in captures and "." not in name:
            continue
        if root not in allowed:
            known = sorted(allowed | captures)
            raise TemplateError(
                f"template field {{{name}}}: {root!r} is not a {scope}-scope fact root or a regex"
                f" group of this rule (known: {', '.join(known)})"
            )
    stripped = _FIELD.sub("", text)
    if "{" in stripped or "}" in stripped:
        raise TemplateError(f"template {text!r}: unbalanced or malformed braces")
    return Template(text, fields)


def _lookup(values: dict[str, Any], dotted: str) -> Any:
    node: Any = values
    for part in dotted.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]  # `{layers.cri.errors.0.message}`: the first error
        else:
            return None
    return node


def _bytes(value: Any) -> str:
    if not isinstance(value, int | float) or isinstance(value, bool):
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


def _percent(value: Any) -> str:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return _format(value)
    return f"{value * 100:.0f}%"


FILTERS = {"bytes": _bytes, "percent": _percent}


def _format(value: Any, filter_name: str | None = None) -> str:
    if filter_name:
        return FILTERS[filter_name](value)
    if value is None:
        return "?"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)
