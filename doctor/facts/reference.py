"""The facts tables of docs/facts.md, generated from the schema's descriptions (scripts/gen-docs).

Each `<!-- facts:NAME:begin -->` ... `<!-- facts:NAME:end -->` block in the page is the table of
one part of the schema: `document` (the root) or a `$defs` entry. A table has a row per fact:
inline objects and lists are walked (`config.version`, `cni.configs[].file`); a `$ref` to a
part that has its own block in the page is a link to that block's heading, any other `$ref` is
walked as if inline. Every fact needs a `description` (its own, or its `$ref` target's): a
fact without one stops the generator.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from doctor.facts.document import LAYER_KEY

BLOCK = re.compile(
    r"(?P<begin><!-- facts:(?P<name>\w+):begin -->\n).*?(?P<end><!-- facts:(?P=name):end -->)",
    re.S,
)
HEADING = re.compile(r"^#+ +(.+?) *$", re.M)


class UndocumentedFact(ValueError):
    """A fact in the schema has no description."""


@dataclass(frozen=True)
class Row:
    path: str
    type: str
    layer: str | None
    meaning: str


def render(page: str, schema: Mapping[str, Any]) -> str:
    """`page` with every facts block regenerated from `schema`."""
    anchors = {m["name"]: _anchor_before(page, m.start()) for m in BLOCK.finditer(page)}

    def table(match: re.Match[str]) -> str:
        name = match["name"]
        rows = list(_rows(schema, _part(schema, name), anchors, f"{name}: ", "", None))
        return match["begin"] + _markdown(rows) + match["end"]

    return BLOCK.sub(table, page)


def _part(schema: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    if name == "document":
        return schema
    part: Mapping[str, Any] = schema["$defs"][name]
    return part


def _anchor_before(page: str, offset: int) -> str:
    """The GitHub anchor of the last heading before `offset`: where a link to the block goes."""
    headings = HEADING.findall(page, 0, offset)
    if not headings:
        raise ValueError("a facts block needs a heading above it")
    text = re.sub(r"[^\w\- ]", "", headings[-1].lower())
    return "#" + text.replace(" ", "-")


def _resolve(
    schema: Mapping[str, Any], node: Mapping[str, Any]
) -> tuple[str | None, dict[str, Any]]:
    """(the `$defs` name it refers to, the node with that reference merged in)."""
    ref = node.get("$ref")
    if ref is None:
        return None, dict(node)
    name = ref.removeprefix("#/$defs/")
    target = schema["$defs"][name]
    merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return name, merged


def _properties(
    schema: Mapping[str, Any], node: Mapping[str, Any], anchors: Mapping[str, str]
) -> Iterator[tuple[str, Any]]:
    """The object's own properties, after those of the `allOf` parts without a block of their
    own (a layer section's status and errors are documented once, in the `layer` block)."""
    for part in node.get("allOf", []):
        name, resolved = _resolve(schema, part)
        if name not in anchors:
            yield from _properties(schema, resolved, anchors)
    yield from node.get("properties", {}).items()


def _rows(
    schema: Mapping[str, Any],
    node: Mapping[str, Any],
    anchors: Mapping[str, str],
    where: str,
    prefix: str,
    layer: str | None,
) -> Iterator[Row]:
    required = set(node.get("required", []))
    for key, child in _properties(schema, node, anchors):
        path = prefix + key
        name, resolved = _resolve(schema, child)
        meaning = child.get("description") or resolved.get("description")
        if not meaning:
            raise UndocumentedFact(f"schema.json: {where}fact `{path}` has no description")
        own_layer = child.get(LAYER_KEY, layer)
        kind = _type(schema, resolved, name, anchors)
        kind += ", required" if key in required else ""
        yield Row(path, kind, own_layer, meaning)
        if name in anchors:
            continue
        items_name, items = _resolve(schema, resolved.get("items", {}))
        if _is_object(resolved):
            yield from _rows(schema, resolved, anchors, where, f"{path}.", own_layer)
        elif items_name not in anchors and _is_object(items):
            yield from _rows(schema, items, anchors, where, f"{path}[].", own_layer)


def _is_object(node: Mapping[str, Any]) -> bool:
    return "properties" in node or "allOf" in node


def _type(
    schema: Mapping[str, Any], node: Mapping[str, Any], name: str | None, anchors: Mapping[str, str]
) -> str:
    if name is not None and name in anchors:
        return f"[{name}]({anchors[name]})"
    if "enum" in node:
        return "one of " + ", ".join(f"`{v}`" for v in node["enum"] if v is not None)
    types = node.get("type", "object")
    kinds = [t for t in ([types] if isinstance(types, str) else types) if t != "null"]
    kind = " or ".join("list" if t == "array" else t for t in kinds)
    if kind == "list":
        items_name, items = _resolve(schema, node.get("items", {}))
        kind = "list of " + _type(schema, items, items_name, anchors)
        if "maxItems" in node:
            kind += f", at most {node['maxItems']}"
    elif kind == "object" and isinstance(node.get("additionalProperties"), dict):
        values = _type(schema, node["additionalProperties"], None, anchors)
        kind = f"map of {values}"
    if "minimum" in node and "maximum" in node:
        kind += f" from {node['minimum']} to {node['maximum']}"
    elif "minimum" in node:
        kind += f" ≥ {node['minimum']}"
    return kind


def _markdown(rows: list[Row]) -> str:
    with_layer = any(row.layer for row in rows)
    head = ["fact", "type", *(["layer"] if with_layer else []), "meaning"]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for row in rows:
        cells = [f"`{row.path}`", row.type, *([row.layer or ""] if with_layer else []), row.meaning]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines) + "\n"
