"""Shared fixtures: facts documents built from the example base, and the CLI runner."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from doctor.engine.examples import base_document

REPO = Path(__file__).resolve().parents[1]


def oom_pod(attempts: int = 3) -> dict[str, Any]:
    return {
        "name": "web",
        "namespace": "default",
        "uid": "6f1b6c1e-0d3c-4a52-9a55-0e2d3c1b7a10",
        "containers": [
            {
                "name": "app",
                "attempt": attempt,
                "restart_count": attempts - 1,
                "state": "CONTAINER_EXITED",
                "exit_code": 137,
                "reason": "OOMKilled",
                "resources": {"memory_limit_bytes": 134217728},
            }
            for attempt in range(attempts)
        ],
    }


@pytest.fixture
def facts_file(tmp_path: Path) -> Callable[..., Path]:
    """Write a facts document (the example base with overrides) and return its path."""

    def write(pods: list[dict[str, Any]] | None = None, **layers: dict[str, Any]) -> Path:
        document = base_document()
        document["pods"] = copy.deepcopy(pods) if pods is not None else [oom_pod()]
        for name, section in layers.items():
            document["layers"][name].update(section)
        path = tmp_path / "facts.json"
        path.write_text(json.dumps(document))
        return path

    return write


def stackdoctor(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the command line as a user would: `python -m doctor ARGS` from the repository."""
    return subprocess.run(
        [sys.executable, "-m", "doctor", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
