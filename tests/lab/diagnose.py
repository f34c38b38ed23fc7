"""Run `stackdoctor diagnose|facts` against a lab as a user would: a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

from doctor.lab.runtime import Lab

DEADLINE = 60.0


@dataclass(frozen=True)
class Run:
    exit_code: int
    report: dict[str, Any]
    seconds: float
    stderr: str


def stackdoctor(lab: Lab, *args: str, sample_interval: float = 0.2) -> tuple[int, str, str, float]:
    command = [
        sys.executable, "-m", "doctor", *args,
        "--host-root", str(lab.layout.host),
        "--runtime-endpoint", lab.layout.address,
        "--sample-interval", str(sample_interval),
        "--quiet",
    ]  # fmt: skip
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, timeout=DEADLINE, check=False)
    return done.returncode, done.stdout, done.stderr, time.monotonic() - started


def diagnose(lab: Lab, pod: str, sample_interval: float = 0.2) -> Run:
    code, out, err, seconds = stackdoctor(
        lab, "diagnose", pod, "--output", "json", sample_interval=sample_interval
    )
    assert code in (0, 1), f"diagnose exited {code}: {err}"
    return Run(code, json.loads(out), seconds, err)


def root_cause(report: dict[str, Any]) -> tuple[str | None, str | None]:
    cause = report.get("root_cause")
    return (cause["id"], cause["layer"]) if cause else (None, None)
