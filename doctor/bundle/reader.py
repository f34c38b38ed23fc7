"""read_bundle: the contents of a bundle (.tar.gz, .tar or unpacked directory), hostile input.

A tar is unpacked into a private temporary directory (mode 0700) that is removed before this
returns, whatever happens; what the analysis needs — facts.json, manifest.json and the kubectl
evidence under apiserver/ — is read into memory, each file checked against the manifest's
sha256.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from doctor.bundle.extract import GZIP_MAGIC, extract
from doctor.bundle.layout import APISERVER, FACTS, MANIFEST
from doctor.bundle.limits import DEFAULT_READ_LIMITS, ReadLimits
from doctor.bundle.manifest import verify_manifest
from doctor.bundle.safefs import read_regular, real_directory, regular_entries
from doctor.errors import BundleError

_OTHER_COMPRESSION = {b"BZh": "bzip2", b"\xfd7zXZ": "xz", b"\x28\xb5\x2f\xfd": "zstd"}


@dataclass(frozen=True)
class BundleContents:
    origin: str
    facts: Any | None  # the decoded facts.json, not yet validated
    manifest: dict[str, Any] | None
    evidence: dict[str, bytes] = field(default_factory=dict)  # apiserver/ files by name


def bundle_kind(path: Path) -> str:
    """`directory`, `gzip`, `tar` or `json` (anything else is read as a facts JSON file)."""
    if real_directory(path):
        return "directory"
    if path.is_dir():
        raise BundleError(f"{path}: refused: a symlink to a directory; give the directory itself")
    try:
        with path.open("rb") as source:
            head = source.read(512)
    except FileNotFoundError:
        raise BundleError(f"{path}: no such file") from None
    except OSError as exc:
        raise BundleError(f"{path}: cannot read: {exc.strerror}") from None
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head[257:262] == b"ustar":
        return "tar"
    for magic, name in _OTHER_COMPRESSION.items():
        if head.startswith(magic):
            raise BundleError(f"{path}: {name}-compressed; bundles are .tar.gz (gzip) or .tar")
    return "json"


def read_bundle(path: Path, limits: ReadLimits = DEFAULT_READ_LIMITS) -> BundleContents:
    kind = bundle_kind(path)
    if kind == "directory":
        return _read_tree(_root(path, str(path)), str(path), limits)
    if kind == "json":
        raise BundleError(f"{path}: not a bundle (neither a directory nor a tar archive)")
    private = Path(tempfile.mkdtemp(prefix="stackdoctor-bundle-"))
    try:
        extract(path, kind == "gzip", private, limits)
        return _read_tree(_root(private, str(path)), str(path), limits)
    finally:
        shutil.rmtree(private, ignore_errors=True)


def _root(directory: Path, origin: str) -> Path:
    """The bundle's top: the directory itself, or its single subdirectory."""
    if _looks_like_bundle(directory):
        return directory
    entries = regular_entries(directory, origin, 2)
    if len(entries) == 1 and real_directory(entries[0]) and _looks_like_bundle(entries[0]):
        return entries[0]
    raise BundleError(f"{origin}: not a bundle: no {FACTS}, {MANIFEST} or {APISERVER}/ inside")


def _looks_like_bundle(directory: Path) -> bool:
    return any(
        (directory / name).exists() or (directory / name).is_symlink()
        for name in (FACTS, MANIFEST, APISERVER)
    )


def _read_tree(root: Path, origin: str, limits: ReadLimits) -> BundleContents:
    present: dict[str, bytes] = {}
    for name in (FACTS, MANIFEST):
        if (root / name).exists() or (root / name).is_symlink():
            present[name] = read_regular(root / name, limits.max_json_bytes, f"{origin}: {name}")
    for entry in regular_entries(root / APISERVER, f"{origin}: {APISERVER}/", limits.max_files):
        if real_directory(entry):
            continue
        name = f"{APISERVER}/{entry.name}"
        present[name] = read_regular(entry, limits.max_json_bytes, f"{origin}: {name}")
    manifest = None
    if MANIFEST in present:
        manifest = _json(present.pop(MANIFEST), f"{origin}: {MANIFEST}")
        verify_manifest(manifest, present, origin)
    facts = _json(present.pop(FACTS), f"{origin}: {FACTS}") if FACTS in present else None
    evidence = {name.split("/", 1)[1]: data for name, data in present.items()}
    if facts is None and not evidence:
        raise BundleError(f"{origin}: no {FACTS} and no kubectl output under {APISERVER}/")
    return BundleContents(origin, facts, manifest, evidence)


def _json(data: bytes, origin: str) -> Any:
    try:
        return json.loads(data)
    except UnicodeDecodeError:
        raise BundleError(f"{origin}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise BundleError(f"{origin}:{exc.lineno}: invalid JSON: {exc.msg}") from None
    except RecursionError:
        raise BundleError(f"{origin}: JSON nested too deeply") from None
