"""rich's word wrap for text whose every character is one cell wide, without rich.

The plain text report (report/text.py, no colour) lays out thousands of findings; rich's own
`divide_line` measures each word's cells, and its layout machinery cost ~3 ms a finding. These
give the same break offsets for the text they accept (tests hold them to `divide_line`).
"""

from __future__ import annotations

import re

_WORD = re.compile(r"\s*\S+\s*")
# Characters one cell wide, each its own grapheme: printable ASCII, the Latin ranges rich
# itself counts as such, and the punctuation messages use (a test checks each with rich).
ONE_CELL = frozenset(
    [chr(c) for c in (*range(0x20, 0x7F), *range(0xA1, 0xAD), *range(0xAE, 0x300))]
    + list("•—→←…\u2013\u2018\u2019\u201c\u201d")  # and the en dash and curly quotes
)


def divide_one_cell(text: str, width: int) -> list[int]:
    """rich's `divide_line` for text whose every character is one cell (a test holds the two
    equal): where to break `text` so that each line fits `width`.

    A line at a time: the break is the start of the first word that ends past the line's last
    cell. A word longer than a line (folded) or leading spaces go word by word, as rich does.
    """
    end = len(text.rstrip(" "))
    if text.startswith(" "):
        return divide_words(text, width)
    offsets: list[int] = []
    start = 0
    while end > start + width:
        limit = start + width
        if text[limit] == " ":  # the word before it fits; the next one begins after the spaces
            following = limit + 1
            while text[following] == " ":
                following += 1
        else:  # the word under the limit begins the next line
            following = text.rfind(" ", start, limit) + 1
            if following <= start:
                return divide_words(text, width)  # a word longer than a line: folded
        word_end = text.find(" ", following)
        if (word_end if word_end >= 0 else len(text)) - following > width:
            return divide_words(text, width)
        offsets.append(following)
        start = following
    return offsets


def divide_words(text: str, width: int) -> list[int]:
    """rich's `divide_line`, word by word, for one-cell text."""
    offsets: list[int] = []
    position = 0  # cells used on the current line
    for match in _WORD.finditer(text):
        start, word = match.start(), match.group()
        length = len(word.rstrip())
        if width - position >= length:
            position += len(word)
        elif length > width:  # fold a word longer than a line
            pieces = [word[i : i + width] for i in range(0, len(word), width)]
            for piece in pieces[:-1]:
                if start:
                    offsets.append(start)
                start += len(piece)
            if start:
                offsets.append(start)
            position = len(pieces[-1])
        elif position and start:
            offsets.append(start)
            position = len(word)
    return offsets
