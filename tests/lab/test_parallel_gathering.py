"""The CRI asked from a child process (the default from the command line) and in-process
(STACKDOCTOR_NO_FORK, or wherever forking is unsafe) give the same facts and the same errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from doctor.lab import scenarios
from doctor.lab.runtime import Lab

INLINE = {"STACKDOCTOR_NO_FORK": "1"}


def run(
    lab: Lab, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable, "-m", "doctor", *args,
        "--host-root", str(lab.layout.host),
        "--runtime-endpoint", lab.layout.address,
        "--sample-interval", "0", "--quiet",
    ]  # fmt: skip
    environ = {k: v for k, v in os.environ.items() if k != "STACKDOCTOR_NO_FORK"}
    return subprocess.run(
        command, capture_output=True, text=True, timeout=60, env={**environ, **(env or {})}
    )


def stable(value: Any) -> Any:
    """The document with every number replaced by its type: what differs between two runs a
    moment apart (times, free memory and disk, file handles) is numbers; everything else
    (layers, statuses, errors, pods, containers, strings, flags) must be equal."""
    if isinstance(value, dict):
        return {key: stable(item) for key, item in value.items() if key != "at"}
    if isinstance(value, list):
        return [stable(item) for item in value]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return type(value).__name__
    return value


@pytest.mark.parametrize("name", ["healthy", "crash-loop"])
def test_the_same_facts_either_way(lab: Lab, name: str) -> None:
    scenario = scenarios.get(name)
    if name not in lab.state.scenarios:
        scenarios.run(lab, scenario)
    forked = run(lab, "facts", scenario.pod_ref)
    inline = run(lab, "facts", scenario.pod_ref, env=INLINE)
    assert forked.returncode == inline.returncode == 0, forked.stderr + inline.stderr
    assert stable(json.loads(forked.stdout)) == stable(json.loads(inline.stdout))


def test_the_same_error_for_an_unknown_pod(lab: Lab) -> None:
    forked = run(lab, "diagnose", "default/no-such-pod")
    inline = run(lab, "diagnose", "default/no-such-pod", env=INLINE)
    assert forked.returncode == inline.returncode == 2
    assert forked.stderr == inline.stderr
    assert forked.stderr.startswith("stackdoctor: error: pod default/no-such-pod not found")
