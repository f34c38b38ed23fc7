"""Stable tokens: the same secret becomes the same token within one bundle, never across."""

from __future__ import annotations

import hashlib
import hmac
import os
import re

TOKEN_RE = re.compile(r"<redacted:[0-9a-f]{8}>")


class Tokenizer:
    """A keyed hash with a random per-bundle key that is never written anywhere."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key if key is not None else os.urandom(32)

    def token(self, secret: str) -> str:
        digest = hmac.new(self._key, secret.encode("utf-8", "surrogateescape"), hashlib.sha256)
        return f"<redacted:{digest.hexdigest()[:8]}>"
