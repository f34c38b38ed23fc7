"""Whatever JSON arrives, loading facts ends in a valid document or one FactsError, and a valid
document always yields a report: never a traceback."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from doctor.diagnosis import diagnose
from doctor.engine.examples import base_document
from doctor.engine.loader import load_rules
from doctor.errors import FactsError
from doctor.facts.document import load_facts, parse_facts
from doctor.layers import LAYER_NAMES

RULES = load_rules()

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)

statuses = st.sampled_from(
    ["ok", "unreachable", "timeout", "unsupported", "permission-denied", "absent", "error"]
)
nullable_int = st.none() | st.integers(min_value=-(2**40), max_value=2**40)
containers = st.fixed_dictionaries(
    {"name": st.sampled_from(["app", "sidecar"]), "attempt": st.integers(0, 5)},
    optional={
        "state": st.sampled_from(
            ["CONTAINER_CREATED", "CONTAINER_RUNNING", "CONTAINER_EXITED", "CONTAINER_UNKNOWN"]
        ),
        "exit_code": nullable_int,
        "reason": st.none() | st.sampled_from(["OOMKilled", "Error", "Completed", "StartError"]),
        "message": st.none() | st.text(max_size=40),
        "restart_count": nullable_int,
        "log_tail": st.lists(st.text(max_size=30), max_size=3),
        "resources": st.none() | st.fixed_dictionaries({"memory_limit_bytes": nullable_int}),
    },
)


def _document(layer_status: dict[str, str], pods: list[dict[str, Any]]) -> dict[str, Any]:
    document = base_document()
    for name, status in layer_status.items():
        document["layers"][name]["status"] = status
    document["pods"] = [
        {"name": f"p{i}", "namespace": "default", "containers": pod["containers"]}
        for i, pod in enumerate(pods)
    ]
    return document


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(json_values)
def test_any_json_is_a_document_or_a_facts_error(value: Any) -> None:
    try:
        parse_facts(value, "fuzz.json")
    except FactsError as exc:
        assert str(exc).startswith("fuzz.json")


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    st.dictionaries(st.sampled_from(LAYER_NAMES), statuses),
    st.lists(st.fixed_dictionaries({"containers": st.lists(containers, max_size=3)}), max_size=3),
)
def test_valid_documents_always_diagnose(layer_status: dict[str, str], pods: list[Any]) -> None:
    facts = parse_facts(_document(layer_status, pods), "fuzz.json")
    report = diagnose(facts, RULES)
    assert report.failures == ()  # no rule may crash on schema-valid facts


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=200))
def test_any_bytes_on_disk(tmp_path_factory: Any, data: bytes) -> None:
    path: Path = tmp_path_factory.mktemp("fuzz") / "facts.json"
    path.write_bytes(data)
    with contextlib.suppress(FactsError):
        load_facts(path)


def test_deeply_nested_json_is_one_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    try:
        load_facts(path)
    except FactsError as exc:
        assert "deep.json" in str(exc)
    else:
        raise AssertionError("a list is not a facts document")


def test_fuzz_documents_are_json_round_trippable() -> None:
    document = _document({"cri": "unreachable"}, [{"containers": [{"name": "app", "attempt": 0}]}])
    assert parse_facts(json.loads(json.dumps(document)), "x").pods()[0]["name"] == "p0"
