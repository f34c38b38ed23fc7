"""What to redact: on by default, plus the user's own patterns (--redact, --redact-file)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from doctor.errors import BundleError


@dataclass(frozen=True)
class RedactionPolicy:
    """`enabled` False writes secrets as they are (`--no-redact`)."""

    enabled: bool = True
    user_patterns: tuple[re.Pattern[str], ...] = ()


def compile_pattern(text: str, origin: str) -> re.Pattern[str]:
    try:
        pattern = re.compile(text)
    except re.error as exc:
        raise BundleError(f"{origin}: invalid regular expression {text!r}: {exc}") from None
    if pattern.match(""):
        raise BundleError(f"{origin}: pattern {text!r} matches the empty string")
    return pattern


def load_patterns(patterns: Iterable[str], files: Iterable[Path]) -> tuple[re.Pattern[str], ...]:
    """`--redact REGEX` values and `--redact-file` files (one regex a line, # comments)."""
    compiled = [compile_pattern(text, "--redact") for text in patterns]
    for path in files:
        try:
            lines = path.read_text().splitlines()
        except OSError as exc:
            raise BundleError(f"{path}: cannot read: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise BundleError(f"{path}: not UTF-8 text") from None
        for number, line in enumerate(lines, 1):
            if line.strip() and not line.lstrip().startswith("#"):
                compiled.append(compile_pattern(line.strip(), f"{path}:{number}"))
    return tuple(compiled)
