"""Reading files of an unpacked bundle without following links or swallowing huge files."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from doctor.errors import BundleError


def read_regular(path: Path, limit: int, origin: str) -> bytes:
    """The bytes of a regular file, at most `limit`: no symlink, FIFO or device is opened."""
    try:
        info = os.lstat(path)
    except OSError as exc:
        raise BundleError(f"{origin}: cannot read: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise BundleError(f"{origin}: refused: not a regular file (a link, FIFO or device?)")
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        handle = os.open(path, flags)
    except OSError as exc:
        raise BundleError(f"{origin}: cannot read: {exc.strerror}") from None
    with os.fdopen(handle, "rb") as source:
        if not stat.S_ISREG(os.fstat(source.fileno()).st_mode):  # swapped since lstat
            raise BundleError(f"{origin}: refused: not a regular file")
        data = source.read(limit + 1)
    if len(data) > limit:
        raise BundleError(f"{origin}: refused: larger than {limit} bytes")
    return data


def real_directory(path: Path) -> bool:
    """A directory that is not a symlink to one."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def regular_entries(directory: Path, origin: str, limit: int) -> list[Path]:
    """The entries of a real directory, sorted; at most `limit` of them."""
    if not real_directory(directory):
        return []
    try:
        entries = sorted(directory.iterdir())
    except OSError as exc:
        raise BundleError(f"{origin}: cannot list: {exc.strerror}") from None
    if len(entries) > limit:
        raise BundleError(f"{origin}: refused: more than {limit} entries")
    return entries
