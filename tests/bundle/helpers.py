"""Building bundles, honest and hostile, for the bundle tests."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path
from typing import Any

from doctor.engine.examples import base_document
from tests.conftest import oom_pod, stackdoctor

KUBECTL = Path(__file__).parent / "kubectl"


def facts_document() -> dict[str, Any]:
    document = base_document()
    document["pods"] = [oom_pod()]
    return document


run = stackdoctor  # the shared runner, under the name these tests use


def member(name: str, data: bytes = b"", kind: bytes = tarfile.REGTYPE, **attrs: Any) -> Any:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    for key, value in attrs.items():
        setattr(info, key, value)
    return info, data


def build_tar(path: Path, members: list[Any], compress: bool = True) -> Path:
    """A tar(.gz) of exactly these members, whatever they are."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if info.type == tarfile.REGTYPE else None)
    raw = buffer.getvalue()
    path.write_bytes(gzip.compress(raw) if compress else raw)
    return path


def facts_member(document: dict[str, Any] | None = None, prefix: str = "b/") -> Any:
    return member(prefix + "facts.json", json.dumps(document or facts_document()).encode())
