"""Every pod and container fact names the layer that gathers it, in the schema (`x-layer`): the
engine reads it from there (facts.document.relative_fact_layers) to say which layer a skipped
rule was waiting on; tests/test_paths.py pins what that gives."""

from __future__ import annotations

from doctor.layers import LAYER_NAMES
from doctor.schema_validation import load_schema


def test_every_pod_and_container_fact_names_its_layer() -> None:
    defs = load_schema("facts")["$defs"]
    unnamed = [
        f"{part}.{key}: {fact.get('x-layer')!r}"
        for part in ("pod", "container")
        for key, fact in defs[part]["properties"].items()
        if fact.get("x-layer") not in LAYER_NAMES
    ]
    assert not unnamed, "give each an x-layer naming a layer"


def test_a_key_of_both_pods_and_containers_has_one_layer() -> None:
    """The engine looks a fact's layer up by its first key alone."""
    props = {
        part: load_schema("facts")["$defs"][part]["properties"] for part in ("pod", "container")
    }
    shared = props["pod"].keys() & props["container"].keys()
    assert shared, "pods and containers share name, reason, message"
    differ = [k for k in shared if props["pod"][k]["x-layer"] != props["container"][k]["x-layer"]]
    assert not differ
