"""Run `stackdoctor diagnose|check|facts` against a lab as a user would: a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from doctor.lab.runtime import Lab

DEADLINE = 60.0


@dataclass(frozen=True)
class Run:
    exit_code: int
    report: dict[str, Any]
    seconds: float
    stderr: str


def stackdoctor(
    lab: Lab, *args: str, sample_interval: float = 0.2, timeout: float | None = None
) -> tuple[int, str, str, float]:
    command = [
        sys.executable, "-m", "doctor", *args,
        "--host-root", str(lab.layout.host),
        "--runtime-endpoint", lab.layout.address,
        "--sample-interval", str(sample_interval),
        "--quiet",
    ]  # fmt: skip
    if timeout is not None:
        command += ["--timeout", str(timeout)]
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, timeout=DEADLINE, check=False)
    return done.returncode, done.stdout, done.stderr, time.monotonic() - started


def diagnose(
    lab: Lab,
    pod: str,
    sample_interval: float = 0.2,
    timeout: float | None = None,
    api: str | None = None,
    save: Path | None = None,
) -> Run:
    """`stackdoctor diagnose`: the node alone, or with `api` (a kubeconfig) the API server too;
    `save`: where to write the facts document too."""
    where = ["--kubeconfig", api] if api else ["--no-api"]
    if save is not None:
        where += ["--save", str(save)]
    code, out, err, seconds = stackdoctor(
        lab,
        "diagnose",
        pod,
        "--output",
        "json",
        *where,
        sample_interval=sample_interval,
        timeout=timeout,
    )
    assert code in (0, 1), f"diagnose exited {code}: {err}"
    return Run(code, json.loads(out), seconds, err)


def check(lab: Lab, sample_interval: float = 0.2, timeout: float | None = None) -> Run:
    """`stackdoctor check`: the node's stack, no pod."""
    code, out, err, seconds = stackdoctor(
        lab, "check", "--output", "json", sample_interval=sample_interval, timeout=timeout
    )
    assert code in (0, 1), f"check exited {code}: {err}"
    return Run(code, json.loads(out), seconds, err)


def root_cause(report: dict[str, Any]) -> tuple[str | None, str | None]:
    cause = report.get("root_cause")
    return (cause["id"], cause["layer"]) if cause else (None, None)


def severe(report: dict[str, Any]) -> list[tuple[str, str]]:
    """Findings at or above warning."""
    return [
        (f["id"], f["severity"])
        for f in report["findings"]
        if f["severity"] in ("warning", "error", "critical")
    ]


def within_deadline(seconds: float, timeout: float | None) -> bool:
    """A hung runtime costs at most --timeout per call: a run ends within 3 x timeout + 5 s."""
    return timeout is None or seconds < 3 * timeout + 5
