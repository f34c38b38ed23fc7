"""The numbers that bound a bundle, written and read, and `--max-size` parsing."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from doctor.errors import BundleError, FactsError

MB = 1000 * 1000
MIB = 1024 * 1024

# Writing: the uncompressed tar stream (every file, its headers and padding) stays under
# --max-size, so the .tar.gz is smaller still.
DEFAULT_MAX_SIZE = 50 * MB
MIN_MAX_SIZE = 64 * 1024
TAR_OVERHEAD_PER_FILE = 2048  # header, a possible pax header for long names, padding
TAR_OVERHEAD_FIXED = 10240  # end-of-archive blocks and record padding
MIN_LOG_KEEP = 4096  # a cut log keeps at least this much of its newest end


@dataclass(frozen=True)
class ReadLimits:
    """What a bundle being read may not exceed; each counted as bytes actually decompressed."""

    max_total_bytes: int = 512 * MIB  # everything unpacked together
    max_file_bytes: int = 256 * MIB  # one member
    max_files: int = 10_000  # members of any kind
    max_ratio: int = 200  # decompressed : compressed bytes ...
    ratio_grace_bytes: int = 8 * MIB  # ... checked once this much has been decompressed
    max_json_bytes: int = 128 * MIB  # facts.json, manifest.json, kubectl JSON
    max_text_bytes: int = 64 * MIB  # one file of pasted text (`analyze --text`)
    max_line_chars: int = 64 * 1024  # one pasted line; longer ones are cut (and reported)


DEFAULT_READ_LIMITS = ReadLimits()

_UNITS = {
    "": 1,
    "b": 1,
    "k": 1000,
    "kb": 1000,
    "kib": 1024,
    "m": MB,
    "mb": MB,
    "mib": MIB,
    "g": 1000 * MB,
    "gb": 1000 * MB,
    "gib": 1024 * MIB,
}


def parse_size(text: str) -> int:
    """`50MB`, `50MiB`, `200k`, `1048576`: a byte count; MB is 10^6, MiB 2^20."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", text)
    unit = match.group(2).lower() if match else ""
    if not match or unit not in _UNITS:
        raise BundleError(f"--max-size {text!r}: expected a size such as 50MB, 200MiB or 1048576")
    size = int(float(match.group(1)) * _UNITS[unit])
    if size < MIN_MAX_SIZE:
        raise BundleError(f"--max-size {text!r}: at least {MIN_MAX_SIZE} bytes")
    return size


def read_bounded(path: Path, limit: int, what: str, hint: str = "") -> bytes:
    """A file named on the command line (`-`: standard input), at most `limit` bytes: the
    user's own input, still bounded; one clear error naming it and what it should have been
    (`what`) otherwise."""
    name = "<stdin>" if str(path) == "-" else str(path)
    try:
        if str(path) == "-":
            data = sys.stdin.buffer.read(limit + 1)
        else:
            with path.open("rb") as source:
                data = source.read(limit + 1)
    except FileNotFoundError:
        raise FactsError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise FactsError(f"{name}: is a directory, not {what}") from None
    except OSError as exc:
        raise FactsError(f"{name}: cannot read: {exc.strerror}") from None
    if len(data) > limit:
        raise FactsError(f"{name}: larger than {limit} bytes{hint}")
    return data
