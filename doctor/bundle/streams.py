"""Readers that count: compressed bytes in, decompressed bytes out, and stop a bomb early."""

from __future__ import annotations

from typing import BinaryIO

from doctor.bundle.limits import ReadLimits
from doctor.errors import BundleError


class CountingReader:
    """Counts the bytes read from the underlying (compressed) file."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self.count += len(data)
        return data


class BombGuard:
    """Decompressed stream: refuses past the total size or the compression ratio limit."""

    def __init__(
        self, stream: BinaryIO, compressed: CountingReader, limits: ReadLimits, origin: str
    ) -> None:
        self._stream = stream
        self._compressed = compressed
        self._limits = limits
        self._origin = origin
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = 1 << 20  # never an unbounded read
        data = self._stream.read(size)
        self.count += len(data)
        limits = self._limits
        if self.count > limits.max_total_bytes:
            raise BundleError(
                f"{self._origin}: refused: unpacks to more than {limits.max_total_bytes} bytes"
                " (a decompression bomb?)"
            )
        if self.count > limits.ratio_grace_bytes and self.count > limits.max_ratio * max(
            self._compressed.count, 1
        ):
            raise BundleError(
                f"{self._origin}: refused: compression ratio above {limits.max_ratio}:1"
                " (a decompression bomb?)"
            )
        return data
