"""Lines the user's terminal or editor wrapped, joined again: a line that can start no line of
a known format, right after a recognised one long enough to have been wrapped, continues it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

WRAP_MIN = 60  # a line cut shorter than this was ended by its writer, not wrapped
_MID_WORD_MIN = 150  # wraps at a terminal's width; narrower ones are an editor's, at a space


def unwrap(
    lines: Sequence[str], recognised: Callable[[str], bool], starts_line: Callable[[str], bool]
) -> list[tuple[int, str]]:
    """The lines (with their index), each continuing a `recognised` one joined to it: a line
    that is not `recognised` and `starts_line` not, after one at least WRAP_MIN long."""
    joined: list[tuple[int, str]] = []
    known = False  # whether the last line kept is a recognised one
    for index, line in enumerate(lines):
        if (
            known
            and line.strip()
            and len(lines[index - 1]) >= WRAP_MIN
            and not recognised(line)
            and not starts_line(line)
        ):
            joined[-1] = (joined[-1][0], join(joined[-1][1], line, len(lines[index - 1])))
            continue
        joined.append((index, line))
        known = recognised(line)
    return joined


def join(before: str, line: str, cut: int | None = None) -> str:
    """`before` continued by `line`: without a space when the cut fell inside a word (a
    terminal wraps at its width, `...for s` + `andbox "55db..."`), else with one (an editor
    wraps at a space, and drops it). `cut`: the length of the physical line the wrap ended
    (the width it was cut at), when `before` already joins several."""
    text = line.strip()
    width = len(before) if cut is None else cut
    inside_word = (
        width >= _MID_WORD_MIN and before[-1:].isalnum() and text[:1].isalnum()
    ) and not text[:1].isupper()
    return before + ("" if inside_word else " ") + text
