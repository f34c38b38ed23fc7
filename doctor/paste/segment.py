"""Split a paste into segments: runs of self-describing log lines, blocks (describe output, a
table, a JSON document) and the free text between them, each with the command that printed it.

The text is first made plain: ANSI colour and cursor codes (kubectl, journalctl and crictl
colour their output on a terminal) and carriage returns are dropped. A shell prompt line
(`$ kubectl logs web`) starts a new segment and names the command for the segments after it;
markdown fences, rules (`=====`) and blank lines only separate.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from doctor.apiserver.describe import FIELD
from doctor.paste import kinds, kubeadm
from doctor.paste.kinds import Kind

# CSI sequences (colours, cursor moves), OSC sequences (titles, hyperlinks), lone escapes
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
# the line kinds only the host's logs have: a container's output ends where they start
_HOST_LOGS = (Kind.JOURNAL, Kind.JOURNAL_JSON)
# markdown fences, and the rules users draw between outputs (`================`)
_FENCE = re.compile(r"\s*(?:```|~~~|(?:={3,}|-{3,})\s*$)")


@dataclass(frozen=True)
class Segment:
    source: str  # the file it came from, as the user named it
    first: int  # its first line's number in that file, from 1
    lines: tuple[str, ...]
    run: Kind | None  # what segmenting saw: the line kind of a run, a block's kind, or None
    command: str | None  # the command a prompt before it ran

    @property
    def last(self) -> int:
        return self.first + len(self.lines) - 1

    @property
    def where(self) -> str:
        span = f"{self.first}" if self.last == self.first else f"{self.first}-{self.last}"
        return f"{self.source}:{span}"

    def shape(self) -> kinds.Shape:
        return kinds.Shape(self.lines, self.run, self.command)


def plain(text: str) -> str:
    """The text without ANSI codes, with Unix line ends."""
    if "\x1b" in text:
        text = _ANSI.sub("", text)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def split(text: str, source: str) -> list[Segment]:
    """The segments of `text` (already plain), in order."""
    lines = text.split("\n")
    closers = _closing_lines(lines)
    segments: list[Segment] = []
    command: str | None = None
    index = 0
    while index < len(lines):
        line = lines[index]
        if not line.strip() or _FENCE.match(line):
            index += 1
            continue
        prompt = kinds.prompt_command(line)
        if prompt is not None:
            command, index = prompt, index + 1
            continue
        if kinds.EMPTY_PROMPT.fullmatch(line):
            index += 1
            continue
        run, end = _extent(lines, index, closers)
        if run in _HOST_LOGS and kinds.is_logs_command(command):
            # a journal or syslog line (audit's AVC denials among them) is the host's, never
            # what `kubectl logs`/`docker logs` printed: the container's output ended before it
            command = None
        while end > index + 1 and not lines[end - 1].strip():
            end -= 1  # trailing blank lines separate; they are no part of it
        segments.append(Segment(source, index + 1, tuple(lines[index:end]), run, command))
        index = end
    return segments


def _extent(lines: list[str], start: int, closers: list[int]) -> tuple[Kind | None, int]:
    """What the segment starting at `start` is, as far as splitting tells, and where it ends."""
    line = lines[start]
    own = kinds.line_kind(line)
    if own is not None:
        end = start + 1
        while end < len(lines) and (
            kinds.line_kind(lines[end]) is own or kinds.continues_entry(lines[end])
        ):
            end += 1
        return own, end
    if kinds.starts_json(line):
        json_end, parsed = _json_end(lines, start, closers)
        if json_end is not None:
            # a document that does not parse is free text as a whole: never re-searched
            return (Kind.JSON if parsed else None), json_end
    if kinds.starts_unit_status(lines, start):
        return Kind.SYSTEMCTL_STATUS, _table_end(lines, start)
    if kinds.DESCRIBE_START.match(line):
        return Kind.DESCRIBE, _describe_end(lines, start)
    if kinds.starts_kubeadm(line):
        return Kind.KUBEADM, kubeadm.block_end(lines, start)
    table = kinds.table_kind(line)
    if table is not None:
        return table, _table_end(lines, start)
    end = start + 1
    while end < len(lines) and not (
        _starts_something(lines[end]) or kinds.starts_unit_status(lines, end)
    ):
        end += 1
    return None, end


def _starts_something(line: str) -> bool:
    return bool(
        _FENCE.match(line)
        or kinds.prompt_command(line)
        or kinds.line_kind(line)
        or kinds.starts_json(line)
        or kinds.DESCRIBE_START.match(line)
        or kinds.table_kind(line)
        or kinds.starts_kubeadm(line)
    )


def _closing_lines(lines: list[str]) -> list[int]:
    """For each line, the index of the next line that could close a JSON document at column 0
    (`}` or `]`), or len(lines): one backward pass, so no document search rescans the text."""
    found = [len(lines)] * (len(lines) + 1)
    for index in range(len(lines) - 1, -1, -1):
        found[index] = index if lines[index].rstrip() in ("}", "]") else found[index + 1]
    return found


def _json_end(lines: list[str], start: int, closers: list[int]) -> tuple[int | None, bool]:
    """The end of a JSON document starting at `start` and whether it parses: on its own line, or
    closed by the next `}`/`]` at column 0 (kubectl, crictl and docker pretty-print); None when
    nothing closes it."""
    if _parses(lines[start]):
        return start + 1, True
    close = closers[start + 1] if start + 1 < len(lines) else len(lines)
    if close == len(lines):
        return None, False
    return close + 1, _parses("\n".join(lines[start : close + 1]))


def _parses(text: str) -> bool:
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return False
    return True


def _describe_end(lines: list[str], start: int) -> int:
    """describe output goes on while its lines are `Key:` fields at column 0 or indented, up to
    a blank line, a line of another kind, or the next object's `Name:`."""
    end = start + 1
    while end < len(lines):
        line = lines[end]
        if not line.strip() or kinds.line_kind(line) or kinds.prompt_command(line):
            break
        if kinds.DESCRIBE_START.match(line):
            break
        if not line[0].isspace() and not FIELD.match(line.rstrip()):
            break
        end += 1
    return end


def _table_end(lines: list[str], start: int) -> int:
    """A table goes on to the first blank line or line of another kind."""
    end = start + 1
    while end < len(lines) and lines[end].strip() and not _starts_something(lines[end]):
        end += 1
    return end
