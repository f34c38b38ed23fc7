"""Apply the redaction rules to a facts document and to raw artifacts, counting what was done.

Counts are kept per rule and per file; values never are. One Redactor serves one bundle: its
tokenizer key lives only in memory, so tokens correlate within the bundle and nowhere else.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

from doctor.redact.patterns import TEXT_RULES
from doctor.redact.policy import RedactionPolicy
from doctor.redact.structured import redact_env_lists, redact_environ
from doctor.redact.tokens import TOKEN_RE, Tokenizer


class Redactor:
    def __init__(self, policy: RedactionPolicy, tokenizer: Tokenizer | None = None) -> None:
        self.policy = policy
        self._tokens = tokenizer or Tokenizer()
        self.counts: dict[str, Counter[str]] = {}  # file -> rule -> count

    def _replace(self, where: str) -> Any:
        def replace(rule: str, secret: str) -> str:
            self.counts.setdefault(where, Counter())[rule] += 1
            return self._tokens.token(secret)

        return replace

    def text(self, text: str, where: str) -> str:
        """Every built-in text rule, then every user pattern, over one string."""
        if not self.policy.enabled or not text:
            return text
        replace = self._replace(where)
        for rule in TEXT_RULES:
            text = _substitute(rule.pattern, text, rule.name, replace)
        for number, pattern in enumerate(self.policy.user_patterns, 1):
            text = _substitute(pattern, text, f"user-pattern-{number}", replace)
        return text

    def document(self, document: dict[str, Any], where: str = "facts.json") -> dict[str, Any]:
        """A redacted copy of a facts document (or any decoded JSON)."""
        if not self.policy.enabled:
            return document
        structured = redact_env_lists(document, self._replace(where))
        result: dict[str, Any] = self._strings(structured, where)
        return result

    def _strings(self, node: Any, where: str) -> Any:
        if isinstance(node, str):
            return self.text(node, where)
        if isinstance(node, dict):
            return {key: self._strings(value, where) for key, value in node.items()}
        if isinstance(node, list):
            return [self._strings(item, where) for item in node]
        return node

    def artifact(self, path: str, data: bytes) -> bytes:
        """A raw file: environ files by structure, JSON by structure and text, the rest as text."""
        if not self.policy.enabled:
            return data
        if path.rsplit("/", 1)[-1] == "environ":
            data = redact_environ(data, self._replace(path))
        if path.endswith(".json"):
            redacted = self._json(path, data)
            if redacted is not None:
                return redacted
        text = data.decode("utf-8", "surrogateescape")
        return self.text(text, path).encode("utf-8", "surrogateescape")

    def _json(self, path: str, data: bytes) -> bytes | None:
        try:
            decoded = json.loads(data)
        except (ValueError, RecursionError):
            return None  # not JSON after all: treated as text
        redacted = self._strings(redact_env_lists(decoded, self._replace(path)), path)
        return (json.dumps(redacted, indent=2, ensure_ascii=False) + "\n").encode()

    def summary(self) -> dict[str, Any]:
        """For the manifest: counts per rule and per file, never a value."""
        totals: Counter[str] = Counter()
        for counts in self.counts.values():
            totals.update(counts)
        return {
            "enabled": self.policy.enabled,
            "user_patterns": len(self.policy.user_patterns),
            "rules": dict(sorted(totals.items())),
            "files": {
                where: dict(sorted(counts.items())) for where, counts in sorted(self.counts.items())
            },
        }


def _substitute(pattern: re.Pattern[str], text: str, rule: str, replace: Any) -> str:
    """Replace the `secret` group (else group 1, else the match) of each match, skipping tokens."""
    protected = [m.span() for m in TOKEN_RE.finditer(text)]
    pieces: list[str] = []
    last = 0
    for match in pattern.finditer(text):
        group: int | str = _secret_group(pattern)
        start, end = match.span(group)
        if start < 0 or start == end or start < last:
            continue
        if any(s <= start < e or s < end <= e for s, e in protected):
            continue
        pieces.append(text[last:start])
        pieces.append(replace(rule, text[start:end]))
        last = end
    if not pieces:
        return text
    pieces.append(text[last:])
    return "".join(pieces)


def _secret_group(pattern: re.Pattern[str]) -> int | str:
    if "secret" in pattern.groupindex:
        return "secret"
    return 1 if pattern.groups else 0
