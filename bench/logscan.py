"""A large kubelet log, one target pod: stackdoctor's bounded filter vs `grep -F <uid>`.

stackdoctor reads only the log's tail (16 MiB by default) and parses only the lines that
mention the pod, so its time and memory must not grow with the log; grep reads every byte.
"""

from __future__ import annotations

import random
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

LINES = (
    'I1129 12:00:{s:02d}.{us:06d}    4242 kubelet.go:2457] "SyncLoop (PLEG): event for pod"'
    ' pod="default/web-{i}" event={{ID:6f1b6c1e-0d3c-4a52-9a55-{i:012d}'
    " Type:ContainerStarted Data:abc}}\n",
    'E1129 12:00:{s:02d}.{us:06d}    4242 pod_workers.go:1300] "Error syncing pod, skipping"'
    ' err="failed to \\"StartContainer\\" for \\"app\\" with CrashLoopBackOff: \\"back-off 5m0s'
    " restarting failed container=app pod=web-{i}_default(6f1b6c1e-0d3c-4a52-9a55-{i:012d})"
    '\\"" pod="default/web-{i}" podUID="6f1b6c1e-0d3c-4a52-9a55-{i:012d}"\n',
    'I1129 12:00:{s:02d}.{us:06d}    4242 prober.go:107] "Probe failed" probeType="Readiness"'
    ' pod="default/web-{i}" podUID="6f1b6c1e-0d3c-4a52-9a55-{i:012d}" containerName="app"'
    ' probeResult="failure" output="HTTP probe failed with statuscode: 503"\n',
)
TARGET_UID = "6f1b6c1e-0d3c-4a52-9a55-000000000007"


def make_log(root: Path, size: int) -> Path:
    path = root / "var/log/kubelet.log"
    if path.exists() and path.stat().st_size >= size:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(7)
    written = 0
    with open(path, "w") as handle:
        while written < size:
            chunk = "".join(
                rng.choice(LINES).format(
                    s=rng.randrange(60), us=rng.randrange(10**6), i=rng.randrange(500)
                )
                for _ in range(10_000)
            )
            handle.write(chunk)
            written += len(chunk)
    return path


def _child(command: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    took = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return took, peak if peak > before else before


def logscan(root: Path, size: int) -> list[dict[str, Any]]:
    log = make_log(root, size)
    code = (
        "from doctor.gather.collect import collect\n"
        "from doctor.gather.context import GatherOptions, PodQuery\n"
        "from pathlib import Path\n"
        f"d = collect(GatherOptions(host_root=Path({str(root)!r}), sample_interval=0, timeout=1,"
        " pod=PodQuery('default/web-7')))\n"
        "assert d['pods'][0]['kubelet_log']\n"
    )
    ours, ours_rss = _child([sys.executable, "-c", code])
    grep, _ = _child(["grep", "-cF", TARGET_UID, str(log)])
    return [
        {
            "log_mib": round(log.stat().st_size / 2**20),
            "stackdoctor_s": round(ours, 2),
            "stackdoctor_peak_rss_mib": round(ours_rss / 1024, 1),
            "grep_s": round(grep, 2),
            "ratio": round(ours / grep, 2),
        }
    ]
