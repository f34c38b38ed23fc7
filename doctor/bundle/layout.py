"""Where things live inside a bundle.

stackdoctor-<host>-<time>/
  manifest.json        what is in the bundle and how it was made (manifest.py)
  facts.json           the facts document, redacted
  artifacts/...        raw files the facts came from, redacted (logs may be cut)
  apiserver/...        optional kubectl output: pod JSON, events JSON, describe text
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from doctor.errors import BundleError

FACTS = "facts.json"
MANIFEST = "manifest.json"
ARTIFACTS = "artifacts"
APISERVER = "apiserver"
BUNDLE_FORMAT = 1


def is_log(path: str) -> bool:
    """A log may be cut from its oldest end to fit --max-size: `*.log` or under `logs/`."""
    parts = PurePosixPath(path).parts
    return path.endswith(".log") or "logs" in parts[:-1] or parts[-1].startswith("journal")


def member_path(relative: str) -> str:
    """Where an artifact given to the writer goes: under artifacts/ unless it is apiserver/."""
    path = PurePosixPath(relative)
    if path.is_absolute() or not path.parts or any(p in ("..", ".", "") for p in path.parts):
        raise BundleError(f"artifact path {relative!r}: must be relative, without '..'")
    if path.parts[0] in (APISERVER, ARTIFACTS):
        return str(path)
    if str(path) in (FACTS, MANIFEST):
        raise BundleError(f"artifact path {relative!r}: reserved for the bundle itself")
    return f"{ARTIFACTS}/{path}"


def top_directory(host: str, at: str) -> str:
    """The single directory everything sits in, so unpacking never spills into the cwd."""
    stamp = re.sub(r"[^0-9A-Za-z]", "", at)[:15] or "unknown"
    safe_host = re.sub(r"[^0-9A-Za-z._-]", "_", host)[:64] or "node"
    return f"stackdoctor-{safe_host}-{stamp}"
