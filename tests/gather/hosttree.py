"""Building synthetic host trees for the gatherer tests (what `--host-root` points at)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from doctor.gather.context import GatherContext, GatherOptions


def write(root: Path, path: str, text: str) -> Path:
    """Write the host file `path` (absolute on the host) under `root`; return its local path."""
    target = root / path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    return target


def add_process(root: Path, pid: int, argv: list[str]) -> None:
    """A process in the tree's /proc, as its cmdline file shows it."""
    (root / "proc" / str(pid)).mkdir(parents=True)
    (root / "proc" / str(pid) / "cmdline").write_bytes(b"\0".join(a.encode() for a in argv) + b"\0")


def context(root: Path, **options: Any) -> GatherContext:
    """A gather context over the tree (with a /proc, possibly empty)."""
    (root / "proc").mkdir(parents=True, exist_ok=True)
    return GatherContext.create(GatherOptions(host_root=root, **options))
