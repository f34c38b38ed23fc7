"""Unpack a tar(.gz) into a private directory, refusing anything hostile.

Paths, links and special files are judged by the standard library's `data` extraction filter
(tarfile.data_filter); on top of it only regular files and directories are accepted, and every
size is counted from the bytes actually decompressed and written — header sizes are never
trusted alone. Files are written by us with O_EXCL|O_NOFOLLOW, mode 0600.
"""

from __future__ import annotations

import gzip
import os
import tarfile
import zlib
from pathlib import Path
from typing import BinaryIO, cast

from doctor.bundle.limits import ReadLimits
from doctor.bundle.streams import BombGuard, CountingReader
from doctor.errors import BundleError

GZIP_MAGIC = b"\x1f\x8b"
_DATA_FILTER = getattr(tarfile, "data_filter", None)  # Python 3.11.4+
_CHUNK = 1 << 16

_FILTER_REASONS = {
    "AbsolutePathError": "absolute path",
    "OutsideDestinationError": "path escapes the bundle ('..')",
    "SpecialFileError": "device file or FIFO",
    "AbsoluteLinkError": "link to an absolute path",
    "LinkOutsideDestinationError": "link pointing out of the bundle",
}


def extract(source: Path, compressed: bool, dest: Path, limits: ReadLimits) -> None:
    """Unpack `source` into the empty private directory `dest`; BundleError on any problem."""
    origin = str(source)
    try:
        with source.open("rb") as raw:
            counting = CountingReader(raw)
            inner: BinaryIO = cast(BinaryIO, counting)
            if compressed:
                inner = cast(BinaryIO, gzip.GzipFile(fileobj=inner, mode="rb"))
            guard = BombGuard(inner, counting, limits, origin)
            with tarfile.open(fileobj=cast(BinaryIO, guard), mode="r|") as tar:
                _Unpacker(tar, dest, limits, origin).run()
            while guard.read(_CHUNK):  # the rest of the stream: gzip checks its CRC at the end
                pass
    except BundleError:
        raise
    except EOFError:
        raise BundleError(f"{origin}: truncated: the compressed data ends early") from None
    except (gzip.BadGzipFile, zlib.error) as exc:
        raise BundleError(f"{origin}: corrupted gzip data: {exc}") from None
    except tarfile.TarError as exc:
        raise BundleError(f"{origin}: not a readable tar archive: {exc}") from None
    except OSError as exc:
        raise BundleError(f"{origin}: cannot read: {exc.strerror or exc}") from None


class _Unpacker:
    def __init__(self, tar: tarfile.TarFile, dest: Path, limits: ReadLimits, origin: str) -> None:
        self.tar, self.dest, self.limits, self.origin = tar, dest, limits, origin
        self.files = 0
        self.written = 0

    def run(self) -> None:
        for member in self.tar:
            self.files += 1
            if self.files > self.limits.max_files:
                raise self._refuse(member, f"more than {self.limits.max_files} members")
            member = self._filtered(member)
            target = self._target(member)
            if member.isdir():
                self._mkdir(target, member)
            else:
                self._write(member, target)

    def _refuse(self, member: tarfile.TarInfo, why: str) -> BundleError:
        return BundleError(f"{self.origin}: refused member {member.name!r}: {why}")

    def _filtered(self, member: tarfile.TarInfo) -> tarfile.TarInfo:
        if member.name.startswith(("/", "\\")) or (len(member.name) > 1 and member.name[1] == ":"):
            raise self._refuse(member, "absolute path")
        if _DATA_FILTER is not None:
            try:
                member = _DATA_FILTER(member, str(self.dest))
            except tarfile.FilterError as exc:
                why = _FILTER_REASONS.get(type(exc).__name__, str(exc))
                raise self._refuse(member, why) from None
        if member.issym() or member.islnk():
            raise self._refuse(member, "links are not allowed in a bundle")
        if not (member.isfile() or member.isdir()):
            raise self._refuse(member, "device file, FIFO or other special file")
        if member.isfile() and member.size > self.limits.max_file_bytes:
            raise self._refuse(member, f"larger than {self.limits.max_file_bytes} bytes")
        return member

    def _target(self, member: tarfile.TarInfo) -> Path:
        parts = [p for p in member.name.replace("\\", "/").split("/") if p not in ("", ".")]
        if not parts or ".." in parts:
            raise self._refuse(member, "path escapes the bundle ('..')")
        target = self.dest.joinpath(*parts)
        if os.path.commonpath([self.dest, target]) != str(self.dest):
            raise self._refuse(member, "path escapes the bundle")
        return target

    def _mkdir(self, target: Path, member: tarfile.TarInfo) -> None:
        try:
            target.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise self._refuse(member, f"cannot create directory: {exc.strerror}") from None

    def _write(self, member: tarfile.TarInfo, target: Path) -> None:
        self._mkdir(target.parent, member)
        source = self.tar.extractfile(member)
        if source is None:
            raise self._refuse(member, "no content")
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        try:
            handle = os.open(target, flags, 0o600)
        except FileExistsError:
            raise self._refuse(member, "duplicate member") from None
        except OSError as exc:
            raise self._refuse(member, f"cannot write: {exc.strerror}") from None
        size = 0
        with os.fdopen(handle, "wb") as out:
            while chunk := source.read(_CHUNK):
                size += len(chunk)
                self.written += len(chunk)
                if size > self.limits.max_file_bytes:
                    raise self._refuse(member, f"larger than {self.limits.max_file_bytes} bytes")
                if self.written > self.limits.max_total_bytes:
                    raise BundleError(
                        f"{self.origin}: refused: unpacks to more than"
                        f" {self.limits.max_total_bytes} bytes (a decompression bomb?)"
                    )
                out.write(chunk)
