"""A pasted file (or standard input) read as bounded plain text; hostile input is refused.

Bounded like a bundle's files (bundle/limits.py ReadLimits): at most `max_text_bytes` are read,
and a larger input is refused; a line longer than `max_line_chars` is cut there and the cut
reported. Binary data (NUL bytes; a gzip or tar archive given as text) is refused naming the
file, exit 2, never a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from doctor.bundle.extract import GZIP_MAGIC
from doctor.bundle.limits import ReadLimits, read_bounded
from doctor.errors import FactsError
from doctor.paste.segment import plain


@dataclass(frozen=True)
class PastedText:
    name: str
    text: str
    cut_lines: tuple[int, ...]  # numbers of the lines cut at max_line_chars


def read_pasted(path: Path, limits: ReadLimits) -> PastedText:
    """The text of `path` (`-`: standard input), plain (segment.plain) and bounded."""
    name = "<stdin>" if str(path) == "-" else str(path)
    data = read_bounded(path, limits.max_text_bytes, "pasted text", ": paste the part that matters")
    return decode(name, data, limits)


def decode(name: str, data: bytes, limits: ReadLimits) -> PastedText:
    if data.startswith(GZIP_MAGIC) or data[257:262] == b"ustar":
        raise FactsError(f"{name}: an archive, not text: give a bundle as BUNDLE, not --text")
    if b"\0" in data:
        raise FactsError(f"{name}: binary data (NUL bytes), not text")
    # logs may hold a stray non-UTF-8 byte (a process's own output): replaced, not refused
    text = plain(data.decode("utf-8", errors="replace").removeprefix("\ufeff"))
    cut: list[int] = []
    if len(text) > limits.max_line_chars and any(
        len(line) > limits.max_line_chars for line in text.split("\n")
    ):
        lines = text.split("\n")
        for number, line in enumerate(lines, 1):
            if len(line) > limits.max_line_chars:
                lines[number - 1] = line[: limits.max_line_chars]
                cut.append(number)
        text = "\n".join(lines)
    return PastedText(name, text, tuple(cut))
