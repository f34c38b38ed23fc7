"""`stackdoctor diagnose POD` against the real crictl doing the same walk an operator does for
one pod on the lab's real cluster: `crictl inspectp`, `crictl ps -a --pod`, then `crictl
inspect` of each container — timed in the same rounds, interleaved, so noise costs both alike.

stackdoctor walks more (the kubelet, containerd, shims, runc, cgroups, logs, the node) and still
has to be in the same order of time as the CRI walk alone.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

POD = "oom-kill"  # the README's demo pod: one container, restarted (several attempts)


def _time(args: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    result = subprocess.run(args, capture_output=True, text=True, check=False)
    if result.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(args[:4])}: {result.stderr[-1500:]}")
    return time.perf_counter() - start, result.stdout


def crictl_walk(crictl: list[str], sandbox: str) -> float:
    """What an operator types for one pod, one command after another (crictl 1.37)."""
    took, _ = _time([*crictl, "inspectp", "-o", "json", sandbox])
    listed, out = _time([*crictl, "ps", "-a", "-o", "json", "--pod", sandbox])
    took += listed
    for container in json.loads(out)["containers"]:
        inspected, _ = _time([*crictl, "inspect", "-o", "json", container["id"]])
        took += inspected
    return took


def versus_crictl(repeat: int) -> list[dict[str, Any]]:
    from doctor.lab.errors import LabError
    from doctor.lab.kube import scenarios
    from doctor.lab.kube.binaries import find_binaries
    from doctor.lab.runtime import Lab, unavailable_reason

    reason = unavailable_reason()
    if reason:
        return [{"skipped": reason}]
    try:
        binaries = find_binaries()
    except LabError as exc:
        return [{"skipped": str(exc)}]
    with tempfile.TemporaryDirectory(prefix="sd-bench-", dir="/tmp") as raw:
        lab = Lab(Path(raw) / "lab")
        try:
            lab.up()
            scenarios.run(lab, scenarios.get(POD))
            crictl = [binaries.path("crictl"), "--runtime-endpoint", lab.layout.address]
            _, out = _time([*crictl, "pods", "-q", "--name", POD])
            sandbox = out.split()[0]
            ours = [sys.executable, "-m", "doctor", "diagnose", f"default/{POD}",
                    "--host-root", str(lab.layout.host), "--runtime-endpoint", lab.layout.address,
                    "--sample-interval", "0", "-q", "-o", "json"]  # fmt: skip
            samples: dict[str, list[float]] = {"crictl": [], "stackdoctor": []}
            for _ in range(repeat):
                samples["crictl"].append(crictl_walk(crictl, sandbox))
                samples["stackdoctor"].append(_time(ours)[0])
            walk = statistics.median(samples["crictl"])
            diagnose = statistics.median(samples["stackdoctor"])
            containers = len(json.loads(_time([*crictl, "ps", "-a", "-o", "json", "--pod",
                                               sandbox])[1])["containers"])  # fmt: skip
            return [
                {
                    "command": f"crictl inspectp + ps -a --pod + inspect x{containers}",
                    "median_s": round(walk, 3),
                    "ratio": 1.0,
                },
                {
                    "command": "stackdoctor diagnose (interval 0)",
                    "median_s": round(diagnose, 3),
                    "ratio": round(diagnose / walk, 2),
                },
            ]
        finally:
            lab.down()
