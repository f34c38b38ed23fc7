"""write_bundle: redact, fit into --max-size, checksum, and write the .tar.gz atomically.

Every bundle is written by this call (collect.py makes it for `stackdoctor collect`):

    manifest = write_bundle(document, artifacts, path, max_size, redaction)

`document` is the facts document as gathered; `artifacts` maps a relative path (e.g.
`kubelet/kubelet.log`, `containerd/config.toml`, `cri/status.json`, `proc/1234/environ`) to
the raw bytes read. Nothing is written before everything is redacted in memory.
"""

from __future__ import annotations

import copy
import io
import json
import os
import tarfile
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from doctor.bundle.layout import FACTS, MANIFEST, member_path, top_directory
from doctor.bundle.limits import DEFAULT_MAX_SIZE, TAR_OVERHEAD_FIXED
from doctor.bundle.manifest import build_manifest
from doctor.bundle.truncate import cost, fit
from doctor.errors import BundleError, DoctorError
from doctor.redact import RedactionPolicy, Redactor
from doctor.timeline.build import with_timeline


def write_bundle(
    document: Mapping[str, Any],
    artifacts: Mapping[str, bytes],
    path: Path,
    max_size: int = DEFAULT_MAX_SIZE,
    redaction: RedactionPolicy | None = None,
    layer_durations: Mapping[str, float] | None = None,
    unreadable: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """Write a bundle to `path`; return its manifest. BundleError when it cannot be written."""
    redactor = Redactor(redaction or RedactionPolicy())
    # Built from the redacted facts, so its one-line summaries hold nothing redaction removed.
    facts = with_timeline(redactor.document(copy.deepcopy(dict(document))))
    files: dict[str, bytes] = {}
    for relative, data in artifacts.items():
        name = member_path(relative)
        files[name] = redactor.artifact(name, bytes(data))
    facts_bytes = (json.dumps(facts, indent=2, ensure_ascii=False) + "\n").encode()
    reserve = TAR_OVERHEAD_FIXED + cost(facts_bytes) + _manifest_reserve(len(files))
    if reserve > max_size:
        raise BundleError(
            f"{path}: the facts document alone is {len(facts_bytes)} bytes, over --max-size"
            f" {max_size}; raise --max-size"
        )
    fitted = fit(files, max_size - reserve)
    manifest = build_manifest(
        facts,
        {FACTS: facts_bytes, **fitted.files},
        max_size=max_size,
        redaction=redactor.summary(),
        truncated=list(fitted.truncated),
        omitted=list(fitted.omitted),
        layer_durations=layer_durations,
        facts_problem=_facts_problem(facts),
        unreadable=unreadable,
    )

    manifest_bytes = (json.dumps(manifest, indent=2) + "\n").encode()
    collected = facts.get("collected", {})
    top = top_directory(str(collected.get("host", "node")), str(collected.get("at", "")))
    members = {FACTS: facts_bytes, **fitted.files, MANIFEST: manifest_bytes}
    _write_tar(path, top, members)
    return manifest


def _manifest_reserve(files: int) -> int:
    return 64 * 1024 + 512 * files


def _facts_problem(facts: dict[str, Any]) -> str | None:
    """A document that does not validate is still bundled (collect never fails as a whole)."""
    from doctor.facts.document import parse_facts

    try:
        parse_facts(facts, FACTS)
    except DoctorError as exc:
        return str(exc)
    return None


def _write_tar(path: Path, top: str, members: Mapping[str, bytes]) -> None:
    directory = path.parent if str(path.parent) else Path(".")
    try:
        handle, temporary = tempfile.mkstemp(prefix=".stackdoctor-", dir=directory)
    except OSError as exc:
        raise BundleError(f"{path}: cannot write: {exc.strerror}") from None
    try:
        with os.fdopen(handle, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            now = int(time.time())
            for name, data in members.items():
                info = tarfile.TarInfo(f"{top}/{name}")
                info.size, info.mtime, info.mode = len(data), now, 0o644
                tar.addfile(info, io.BytesIO(data))
        os.chmod(temporary, 0o600)  # a bundle describes a node: readable by its writer only
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise BundleError(f"{path}: cannot write: {exc.strerror or exc}") from None
