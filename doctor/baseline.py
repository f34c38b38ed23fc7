"""Baselines: findings already known (by key, `rule@subject`) are reported but never fail a run.

A baseline file is JSON: either `{"baseline_version": 1, "keys": [...]}` as `--write-baseline`
writes it, or a whole `--output json` report, whose findings' keys are taken.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from doctor.errors import DoctorError
from doctor.model import Report

BASELINE_VERSION = 1


class BaselineError(DoctorError):
    """A baseline file cannot be read or is not a baseline."""


def load_baseline(path: Path) -> frozenset[str]:
    """The finding keys a baseline file holds."""
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read the baseline: {exc.strerror or exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BaselineError(f"{path}: not a JSON baseline: {exc}") from None
    keys: Any = None
    if isinstance(data, dict) and "keys" in data:
        keys = data["keys"]
    elif isinstance(data, dict) and isinstance(data.get("findings"), list):
        keys = [f.get("key") for f in data["findings"] if isinstance(f, dict)]
    if not isinstance(keys, list) or not all(isinstance(k, str) and "@" in k for k in keys):
        raise BaselineError(
            f'{path}: a baseline is {{"keys": ["rule@subject", ...]}} or an --output json'
            " report (make one with --write-baseline FILE)"
        )
    return frozenset(keys)


def apply_baseline(report: Report, keys: frozenset[str]) -> Report:
    """The report with its findings that are in the baseline marked as known."""
    return replace(report, baselined=frozenset(f.key for f in report.findings if f.key in keys))


def baseline_text(report: Report) -> str:
    """A baseline holding every finding of the report."""
    keys = sorted({finding.key for finding in report.findings})
    return json.dumps({"baseline_version": BASELINE_VERSION, "keys": keys}, indent=2) + "\n"
