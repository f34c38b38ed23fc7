"""The compiled schema validators agree with the JSON Schemas they were generated from."""

from __future__ import annotations

import copy
import importlib.util
import json
import re
import subprocess
import sys
from typing import Any

import jsonschema
import pytest

from doctor.engine.examples import base_document
from doctor.engine.loader import builtin_rules_dir
from doctor.engine.yaml_source import load_yaml
from doctor.schema_validation import load_schema, schema_errors
from tests.conftest import REPO

GENERATED = {
    "facts": REPO / "doctor/facts/compiled_schema.py",
    "rules": REPO / "doctor/engine/compiled_rule_schema.py",
}


def _generator_version(kind: str) -> str:
    match = re.search(r"fastjsonschema (\S+)\.\n", GENERATED[kind].read_text())
    assert match, "generated file lacks its header"
    return match.group(1)


@pytest.mark.skipif(importlib.util.find_spec("fastjsonschema") is None, reason="no fastjsonschema")
def test_generated_validators_are_up_to_date() -> None:
    import fastjsonschema

    if _generator_version("facts") != fastjsonschema.VERSION:
        pytest.skip(f"generated with fastjsonschema {_generator_version('facts')}")
    result = subprocess.run(
        [sys.executable, "scripts/gen-validators", "--check"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr + " (run scripts/gen-validators)"


def _facts_variants() -> list[Any]:
    valid = [
        json.loads(p.read_text()) for p in sorted((REPO / "fixtures/scenarios").glob("*.json"))
    ]
    valid = [doc for doc in valid if "schema" in doc]
    base = base_document()
    broken: list[Any] = []
    for mutate in (
        lambda d: d.pop("collected"),
        lambda d: d["layers"]["cri"].update(status="sleeping"),
        lambda d: d["layers"].pop("runc"),
        lambda d: d.update(extra=1),
        lambda d: d["pods"].append({"name": "x", "namespace": "y", "containers": [{"name": 1}]}),
        lambda d: d["pods"].append(
            {"name": "x", "namespace": "y", "containers": [{"name": "c", "attempt": -1}]}
        ),
        lambda d: d["layers"]["node"].update(disks=[{"path": "/", "used_ratio": 1.5}]),
        lambda d: d["collected"].update(cgroup_version=3),
    ):
        doc = copy.deepcopy(base)
        mutate(doc)
        broken.append(doc)
    return [*valid, base, *broken, [], "text", None]


def _rule_files() -> list[Any]:
    docs = [load_yaml(p.read_text()) for p in sorted(builtin_rules_dir().glob("*.yaml"))]
    first = docs[0]["rules"][0]
    broken = []
    for mutate in (
        lambda r: r.pop("fix"),
        lambda r: r.update(colour="red"),
        lambda r: r.update(severity="fatal"),
        lambda r: r.update(when={"all": []}),
        lambda r: r.update(when={"any": [{"fact": "x"}]}),
        lambda r: r.update(when={"not": {"fact": "x", "op": "eq", "extra": 1}}),
        lambda r: r.update(id="Kubelet.Bad"),
        lambda r: r["examples"].update(fires=[]),
    ):
        rule = json.loads(json.dumps(first))
        mutate(rule)
        broken.append({"rules": [rule]})
    return [*docs, *broken, {"rules": []}, {}, []]


@pytest.mark.parametrize(
    ("kind", "documents"), [("facts", _facts_variants()), ("rules", _rule_files())]
)
def test_compiled_validator_agrees_with_jsonschema(kind: str, documents: list[Any]) -> None:
    reference = jsonschema.validators.validator_for(load_schema(kind))(load_schema(kind))
    for index, document in enumerate(documents):
        expected = reference.is_valid(document)
        assert (schema_errors(kind, document) == []) is expected, f"document {index}"
        if not expected:  # and the compiled validator alone rejects it too
            module = (
                "doctor.facts.compiled_schema"
                if kind == "facts"
                else "doctor.engine.compiled_rule_schema"
            )
            validate = importlib.import_module(module).validate
            with pytest.raises(ValueError):
                validate(document)
