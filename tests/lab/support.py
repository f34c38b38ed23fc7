"""Shared by the lab and live tests: skip where a lab cannot run, but never in CI."""

from __future__ import annotations

import os

import pytest

from doctor.lab import registry
from doctor.lab.runtime import unavailable_reason


def require_lab() -> None:
    """Skip (with the reason) where the lab cannot run; with CI=true, fail instead."""
    _require(unavailable_reason())


def require_registry() -> None:
    """The same for scenarios that pull from the lab's registry (docker-registry, skopeo)."""
    _require(registry.unavailable_reason())


def _require(reason: str | None) -> None:
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"the lab cannot start in CI: {reason}", pytrace=False)
    pytest.skip(reason)
