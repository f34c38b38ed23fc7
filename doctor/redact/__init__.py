"""Redaction: secrets are replaced by stable tokens before anything leaves the node."""

from __future__ import annotations

from doctor.redact.policy import RedactionPolicy, load_patterns
from doctor.redact.redactor import Redactor

__all__ = ["RedactionPolicy", "Redactor", "load_patterns"]
