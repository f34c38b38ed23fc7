"""Load, validate and walk a facts document (schema in schema.json, prose in docs/facts.md)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from doctor.errors import FactsError
from doctor.gc_pause import paused_gc
from doctor.layers import LAYER_NAMES, Layer, LayerStatus
from doctor.schema_validation import best_error, load_schema, location, schema_errors

SCHEMA_VERSION = 1
# The schema's annotation of a pod or container fact naming the layer that gathers it.
LAYER_KEY = "x-layer"


@cache
def relative_fact_layers() -> Mapping[str, Layer]:
    """Which layer gathers the facts under a pod or a container, by their first key: the
    schema's LAYER_KEY of each pod and container property. A rule reading
    `cgroup.memory.usage_bytes` is skipped with the process layer's status when that layer could
    not be examined."""
    defs = load_schema("facts")["$defs"]
    return MappingProxyType(
        {
            key: Layer(fact[LAYER_KEY])
            for part in ("pod", "container")
            for key, fact in defs[part]["properties"].items()
        }
    )


@dataclass(frozen=True)
class PodRef:
    namespace: str
    name: str

    @classmethod
    def parse(cls, text: str) -> PodRef:
        """`NAMESPACE/NAME`, or a bare `NAME` in the default namespace."""
        namespace, _, name = text.rpartition("/")
        if not name:
            raise FactsError(f"pod {text!r}: expected NAMESPACE/NAME")
        return cls(namespace or "default", name)

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class FactsDocument:
    """A validated facts document; `data` is the plain JSON tree rules evaluate over."""

    data: dict[str, Any]
    origin: str

    @property
    def host(self) -> str:
        return str(self.data["collected"]["host"])

    def layer(self, layer: Layer) -> dict[str, Any]:
        section: dict[str, Any] = self.data["layers"][layer.value]
        return section

    def layer_status(self, layer: Layer) -> LayerStatus:
        return LayerStatus(self.layer(layer)["status"])

    def pods(self) -> list[dict[str, Any]]:
        pods: list[dict[str, Any]] = self.data["pods"]
        return pods

    def find_pod(self, ref: PodRef) -> dict[str, Any] | None:
        for pod in self.pods():
            if pod["namespace"] == ref.namespace and pod["name"] == ref.name:
                return pod
        return None

    def only_pod(self, ref: PodRef) -> FactsDocument:
        """The same document narrowed to one pod (node facts kept)."""
        pod = self.find_pod(ref)
        if pod is None:
            known = ", ".join(f"{p['namespace']}/{p['name']}" for p in self.pods()) or "none"
            raise FactsError(f"{self.origin}: no pod {ref} in the facts (pods: {known})")
        return FactsDocument({**self.data, "pods": [pod]}, self.origin)

    def containers(self) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
        for pod in self.pods():
            for container in pod["containers"]:
                yield pod, container


def parse_facts(data: object, origin: str) -> FactsDocument:
    """Validate an already-decoded document; raise FactsError naming the first problem."""
    if not isinstance(data, dict):
        raise FactsError(f"{origin}: a facts document is a JSON object, got {type(data).__name__}")
    version = data.get("schema")
    if not isinstance(version, int) or isinstance(version, bool):
        raise FactsError(f"{origin}: no integer 'schema' version: is this a facts document?")
    if version > SCHEMA_VERSION:
        raise FactsError(
            f"{origin}: facts schema {version} is newer than this stackdoctor reads"
            f" ({SCHEMA_VERSION}); upgrade stackdoctor"
        )
    if version < 1:
        raise FactsError(f"{origin}: facts schema {version} does not exist")
    errors = schema_errors("facts", data)
    if errors:
        error = best_error(errors)
        raise FactsError(f"{origin}: {location(error)}: {error.message}")
    _check_layer_keys(data, origin)
    return FactsDocument(data, origin)


def _check_layer_keys(data: dict[str, Any], origin: str) -> None:
    missing = [name for name in LAYER_NAMES if name not in data["layers"]]
    if missing:  # the schema already requires them; this guards a hand-edited schema
        raise FactsError(f"{origin}: $.layers lacks {', '.join(missing)}")


def load_facts(path: Path) -> FactsDocument:
    """Read a facts JSON file (`-`: standard input); every failure is a FactsError naming it."""
    try:
        text = sys.stdin.buffer.read() if str(path) == "-" else path.read_bytes()
    except FileNotFoundError:
        raise FactsError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise FactsError(f"{path}: is a directory, not a facts JSON file") from None
    except OSError as exc:
        raise FactsError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        with paused_gc():  # a large document is millions of objects, and no cycles
            data = json.loads(text)
    except UnicodeDecodeError:
        raise FactsError(f"{path}: not UTF-8 text: is this a facts JSON file?") from None
    except json.JSONDecodeError as exc:
        raise FactsError(f"{path}:{exc.lineno}: invalid JSON: {exc.msg}") from None
    except RecursionError:
        raise FactsError(f"{path}: JSON nested too deeply") from None
    return parse_facts(data, str(path))
