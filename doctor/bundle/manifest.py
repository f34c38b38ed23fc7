"""manifest.json: what a bundle holds and how it was made — never a secret value.

It is written last, over the final bytes of every other file (sha256 and size of each), and
checked first when a bundle is read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from doctor import __version__
from doctor.bundle.layout import BUNDLE_FORMAT, MANIFEST
from doctor.errors import BundleError


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def not_collected(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every layer that could not be examined, with its status and errors."""
    result = []
    for name, section in document.get("layers", {}).items():
        if section.get("status") != "ok" or section.get("errors"):
            result.append(
                {
                    "layer": name,
                    "status": section.get("status"),
                    "errors": section.get("errors", []),
                }
            )
    return result


def build_manifest(
    document: Mapping[str, Any],
    files: Mapping[str, bytes],
    *,
    max_size: int,
    redaction: dict[str, Any],
    truncated: list[dict[str, Any]],
    omitted: list[dict[str, Any]],
    layer_durations: Mapping[str, float] | None = None,
    facts_problem: str | None = None,
    unreadable: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    collected = document.get("collected", {})
    durations = layer_durations or {}
    return {
        "bundle_format": BUNDLE_FORMAT,
        "stackdoctor": __version__,
        "facts_schema": document.get("schema"),
        "host": collected.get("host"),
        "collected_at": collected.get("at"),
        "written_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "duration_seconds": collected.get("duration_seconds"),
        "layers": {
            name: {
                "status": section.get("status"),
                "duration_seconds": durations.get(name),
            }
            for name, section in document.get("layers", {}).items()
        },
        "not_collected": not_collected(document),
        "artifacts_not_read": unreadable or [],  # {path, reason}: raw files that failed to read
        "facts_problem": facts_problem,
        "max_size": max_size,
        "truncated": truncated,
        "omitted": omitted,
        "redaction": redaction,
        "files": {
            path: {"sha256": sha256(data), "bytes": len(data)}
            for path, data in sorted(files.items())
        },
    }


def verify_manifest(manifest: object, present: Mapping[str, bytes], origin: str) -> None:
    """The manifest's own shape, its format version, and the sha256 of every file read."""
    if not isinstance(manifest, dict):
        raise BundleError(f"{origin}: {MANIFEST} is not a JSON object")
    version = manifest.get("bundle_format")
    if not isinstance(version, int) or isinstance(version, bool):
        raise BundleError(f"{origin}: {MANIFEST} has no integer bundle_format")
    if version > BUNDLE_FORMAT:
        raise BundleError(
            f"{origin}: bundle format {version} is newer than this stackdoctor reads"
            f" ({BUNDLE_FORMAT}); upgrade stackdoctor"
        )
    files = manifest.get("files")
    if not isinstance(files, dict):
        raise BundleError(f"{origin}: {MANIFEST} has no 'files' table")
    for path, data in present.items():
        entry = files.get(path)
        if entry is None:
            continue  # added by hand (e.g. kubectl output dropped into apiserver/): allowed
        expected = entry.get("sha256") if isinstance(entry, dict) else None
        if expected != sha256(data):
            raise BundleError(
                f"{origin}: {path}: sha256 does not match {MANIFEST} (changed after collection)"
            )
