"""The built-in text rules: each a name and a regex whose `secret` group is replaced.

They run over every string of the facts document and every text artifact, so they are written
for the shapes secrets take in command lines, logs, TOML, YAML and JSON. A value that already is
a token is never matched again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class TextRule:
    name: str
    pattern: re.Pattern[str]


_NOT_TOKEN = r"(?!<redacted:)"
# Key names whose value is a secret: the key ends with one of these words.
_SECRET_KEY = (
    r"[\w.-]*?(?:password|passwd|passphrase|secret|token|api[_-]?key|access[_-]?key"
    r"|client[_-]?key(?:[_-]?data)?|identitytoken|auth|username)"
)

TEXT_RULES: tuple[TextRule, ...] = (
    TextRule(
        "private-key",
        re.compile(
            r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----(?P<secret>.*?)"
            r"(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)",
            re.DOTALL,
        ),
    ),
    TextRule(
        "authorization-header",
        re.compile(
            r"(?i)\b(?:proxy-)?authorization\b[\"']?\s*[:=][\s\[\"']*(?:bearer|basic|token)\s+"
            + _NOT_TOKEN
            + r"(?P<secret>[^\s\"',;]+)"
        ),
    ),
    TextRule(
        "bearer-token",
        re.compile(r"(?i)\bbearer\s+" + _NOT_TOKEN + r"(?P<secret>[A-Za-z0-9\-._~+/]{8,}=*)"),
    ),
    TextRule(
        "url-credentials",
        re.compile(
            r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@\"']+:" + _NOT_TOKEN + r"(?P<secret>[^/\s@\"']+)@"
        ),
    ),
    TextRule(
        # --password=x, token=x, password = "x" (TOML), -p=x is too vague to claim
        "credential-assignment",
        re.compile(
            r"(?i)(?<![\w])(?:--?)?"
            + _SECRET_KEY
            + r"[\"']?\s*=\s*(?P<q>[\"'])?"
            + _NOT_TOKEN
            + r"(?P<secret>(?(q)[^\"'\n]+|[^\s\"'&,;]+))"
        ),
    ),
    TextRule(
        # --password x on a command line
        "credential-flag",
        re.compile(
            r"(?i)(?<![\w-])--"
            + _SECRET_KEY
            + r"\s+"
            + _NOT_TOKEN
            + r"(?P<secret>[^\s\"'-][^\s\"']*)"
        ),
    ),
    TextRule(
        # YAML (key at the start of a line) and JSON ("key": "value") fields
        "credential-field",
        re.compile(
            r"(?im)(?:^[ \t-]*|\"(?=[\w.-]+\"\s*:))"
            + _SECRET_KEY
            + r"\"?\s*:[ \t]*(?P<q>[\"'])?"
            + _NOT_TOKEN
            + r"(?P<secret>(?(q)[^\"'\n]+|[^\s\"',{}\[\]#][^\s\"',]*))"
        ),
    ),
)
