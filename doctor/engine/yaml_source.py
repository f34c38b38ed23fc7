"""YAML loading that remembers where each mapping and list item came from, for `file:line:`."""

from __future__ import annotations

import functools
from typing import Any


class LineDict(dict[str, Any]):
    """A mapping from YAML with the 1-based line of itself and of each of its keys."""

    line: int = 0
    key_lines: dict[str, int]


class LineList(list[Any]):
    line: int = 0
    item_lines: list[int]


@functools.cache
def _line_loader() -> Any:
    """A YAML loader class whose mappings and lists keep their lines (PyYAML is imported here,
    on first use: the built-in rules come pre-parsed and most runs parse no YAML rules)."""
    import yaml

    # libyaml's parser when PyYAML was built with it (the wheels are): several times faster,
    # and the constructor below (pure Python either way) still sees every node's position.
    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class LineLoader(base):  # type: ignore[misc,valid-type]
        def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> LineDict:
            self.flatten_mapping(node)
            mapping = LineDict()
            mapping.line = node.start_mark.line + 1
            mapping.key_lines = {}
            for key_node, value_node in node.value:
                key = self.construct_object(key_node, deep=True)
                if not isinstance(key, str):
                    key = str(key)
                if key in mapping:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key!r}", key_node.start_mark
                    )
                mapping[key] = self.construct_object(value_node, deep=True)
                mapping.key_lines[key] = key_node.start_mark.line + 1
            return mapping

        def construct_sequence(self, node: yaml.SequenceNode, deep: bool = False) -> LineList:
            items = LineList(self.construct_object(child, deep=True) for child in node.value)
            items.line = node.start_mark.line + 1
            items.item_lines = [child.start_mark.line + 1 for child in node.value]
            return items

    LineLoader.add_constructor("tag:yaml.org,2002:map", LineLoader.construct_mapping)
    LineLoader.add_constructor("tag:yaml.org,2002:seq", LineLoader.construct_sequence)
    return LineLoader


def load_yaml(text: str) -> Any:
    """Parse YAML; raises yaml.YAMLError (with a problem_mark) on bad syntax."""
    import yaml

    return yaml.load(text, Loader=_line_loader())


def line_of(document: Any, path: list[str | int]) -> int:
    """The line of the deepest node on `path` that carries one (1 when none does)."""
    line = getattr(document, "line", 1) or 1
    node = document
    for step in path:
        if isinstance(node, LineDict) and isinstance(step, str) and step in node:
            line = node.key_lines.get(step, line)
            node = node[step]
        elif isinstance(node, LineList) and isinstance(step, int) and 0 <= step < len(node):
            line = node.item_lines[step]
            node = node[step]
        else:
            break
    return line
