"""The facts tables generated from the schema: one row per fact, links between blocks, and no
fact without a description."""

from __future__ import annotations

import re
from typing import Any

import pytest

from doctor.facts.reference import UndocumentedFact, render
from doctor.schema_validation import load_schema

SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["pods"],
    "properties": {
        "host": {"type": ["string", "null"], "description": "the node"},
        "disks": {
            "type": "array",
            "description": "disks",
            "items": {
                "type": "object",
                "required": ["path"],
                "properties": {
                    "path": {"type": "string", "description": "where"},
                    "used": {"$ref": "#/$defs/ratio", "description": "how full"},
                },
            },
        },
        "pods": {"type": "array", "items": {"$ref": "#/$defs/pod"}, "description": "the pods"},
    },
    "$defs": {
        "ratio": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
        "pod": {
            "type": "object",
            "properties": {
                "phase": {
                    "enum": ["Running", None],
                    "description": "phase",
                    "x-layer": "apiserver",
                },
                "sandbox": {
                    "type": ["object", "null"],
                    "description": "its sandbox",
                    "x-layer": "cri",
                    "properties": {"id": {"type": "string", "description": "the id"}},
                },
                "limits": {"$ref": "#/$defs/limits", "x-layer": "cri"},
            },
        },
        "limits": {
            "type": "object",
            "description": "as applied",
            "properties": {
                "env": {
                    "type": "object",
                    "additionalProperties": {"type": "string"},
                    "description": "variables",
                }
            },
        },
    },
}
PAGE = """# Facts

<!-- facts:document:begin -->
stale
<!-- facts:document:end -->

## The pods ≠ sandboxes

<!-- facts:pod:begin -->
<!-- facts:pod:end -->
"""


def _table(page: str, name: str) -> list[str]:
    block = re.search(f"<!-- facts:{name}:begin -->\n(.*?)<!-- facts:{name}:end -->", page, re.S)
    assert block
    return block.group(1).splitlines()


def test_document_rows_walk_inline_objects_and_link_parts_with_a_block() -> None:
    assert _table(render(PAGE, SCHEMA), "document") == [
        "| fact | type | meaning |",
        "| --- | --- | --- |",
        "| `host` | string | the node |",
        "| `disks` | list of object | disks |",
        "| `disks[].path` | string, required | where |",
        "| `disks[].used` | number from 0 to 1 | how full |",
        "| `pods` | list of [pod](#the-pods--sandboxes), required | the pods |",
    ]


def test_parts_without_a_block_are_walked_and_layers_are_inherited() -> None:
    assert _table(render(PAGE, SCHEMA), "pod") == [
        "| fact | type | layer | meaning |",
        "| --- | --- | --- | --- |",
        "| `phase` | one of `Running` | apiserver | phase |",
        "| `sandbox` | object | cri | its sandbox |",
        "| `sandbox.id` | string | cri | the id |",
        "| `limits` | object | cri | as applied |",
        "| `limits.env` | map of string | cri | variables |",
    ]


def test_rendering_twice_changes_nothing() -> None:
    once = render(PAGE, SCHEMA)
    assert render(once, SCHEMA) == once


def test_a_fact_without_a_description_stops_the_generator() -> None:
    schema = {"type": "object", "properties": {"disks": {"type": "array", "items": {}}}}
    with pytest.raises(UndocumentedFact, match="document: fact `disks`"):
        render(PAGE.split("## The pods")[0], schema)


def test_descriptions_render_as_written() -> None:
    """Markdown would swallow `<pid>` as an HTML tag: such text belongs in backticks."""
    raw = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            text = node.get("description")
            if isinstance(text, str) and "<" in re.sub(r"`[^`]*`", "", text):
                raw.append(text)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(load_schema("facts"))
    assert not raw
