"""JSON Schema validation: a compiled validator decides, jsonschema explains the failures.

The JSON Schema files are the source of truth; scripts/gen-validators compiles them to plain
Python (doctor/*/compiled_*.py) that validates in milliseconds. Only a document that fails is
handed to jsonschema, imported then, to list every error with its path.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jsonschema

# Beside the modules that use them, in the source tree and in the wheel alike (read by path:
# importlib.resources costs ~20 ms of start-up for no gain here).
PACKAGE = Path(__file__).resolve().parent
SCHEMAS: dict[str, Path] = {
    "facts": PACKAGE / "facts" / "schema.json",
    "rules": PACKAGE / "engine" / "rule_schema.json",
}


@cache
def load_schema(kind: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(SCHEMAS[kind].read_text("utf-8"))
    return schema


def _compiled(kind: str) -> Callable[[Any], Any]:
    if kind == "facts":
        from doctor.facts.compiled_schema import validate
    else:
        from doctor.engine.compiled_rule_schema import validate
    return validate


@cache
def _explainer(kind: str) -> jsonschema.protocols.Validator:
    import jsonschema

    cls = jsonschema.validators.validator_for(load_schema(kind))
    validator: jsonschema.protocols.Validator = cls(load_schema(kind))
    return validator


def schema_errors(kind: str, data: Any) -> list[jsonschema.ValidationError]:
    """Every schema violation in `data` (empty when valid), ordered by location."""
    try:
        _compiled(kind)(data)
        return []
    except (ValueError, TypeError, RecursionError):
        pass  # invalid (or too odd for the compiled code): let jsonschema say exactly why
    errors = list(_explainer(kind).iter_errors(data))
    return sorted(errors, key=lambda e: [str(p) for p in e.absolute_path])


def best_error(errors: list[jsonschema.ValidationError]) -> jsonschema.ValidationError:
    import jsonschema

    best: jsonschema.ValidationError = jsonschema.exceptions.best_match(errors)
    return best


def location(error: jsonschema.ValidationError) -> str:
    """`$.pods[0].containers[1].exit_code` for an error's place in the document."""
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
