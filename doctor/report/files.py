"""Writing a report file so a reader never sees half of it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from doctor.errors import DoctorError


def write_atomically(path: Path, text: str) -> None:
    """Write to a temporary file beside `path`, then rename it over `path`."""
    directory = path.parent if str(path.parent) else Path(".")
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    except OSError as exc:
        raise DoctorError(f"{path}: cannot write the report: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise DoctorError(f"{path}: cannot write the report: {exc.strerror}") from None
