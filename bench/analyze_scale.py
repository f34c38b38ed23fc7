"""`stackdoctor analyze` of one facts document of 1,000 to 10,000 pods, each a copy of a pod
captured from the lab (its containers, attempts, and kubelet and containerd log lines), as whole
processes: reading, validation, evaluation, root causes and the report."""

from __future__ import annotations

import json
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

from bench.timing import interleaved_medians

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "scenarios"
# Two captures of the lab's real cluster: the OOM-killed pod (2 attempts, 38 log lines naming
# it in the kubelet's and containerd's logs) and the crash-looping one (33 such lines, and the
# most node-level kubelet lines). Both carry the node-level log lines of their capture.
SOURCES = ("k8s-oom-kill", "k8s-crash-loop")
SOURCE = FIXTURES / "k8s-crash-loop.json"


def _copies(pod: dict[str, Any], count: int) -> list[dict[str, Any]]:
    """`count` copies of a pod, each with its own name, uid and sandbox and container ids.

    The copy is made on the JSON text, so every mention (log lines, log paths) changes with it.
    """
    text = json.dumps(pod)
    sandbox = pod.get("sandbox") or {}
    ids = {i for i in (sandbox.get("id"), *(c.get("id") for c in pod["containers"])) if i}
    copies = []
    for index in range(count):
        copy = text.replace(pod["name"], f"{pod['name']}-{index}")
        if pod.get("uid"):
            copy = copy.replace(pod["uid"], str(uuid.UUID(int=index + 1)))
        for n, old in enumerate(sorted(ids)):
            copy = copy.replace(old, f"{index:032x}{n:032x}")
        copies.append(json.loads(copy))
    return copies


def scaled_document(pods: int, source: Path = SOURCE) -> dict[str, Any]:
    """The captured document with its one pod copied `pods` times (node-level facts kept)."""
    document: dict[str, Any] = json.loads(source.read_text())
    (pod,) = document["pods"]
    document["pods"] = _copies(pod, pods)
    return document


def analyze_scale(sizes: list[int], rounds: int) -> list[dict[str, Any]]:
    """Median wall and CPU time of `stackdoctor analyze` (text report) per source and size.

    The captured one-pod document is timed too: its time is what every size pays regardless.
    """
    with tempfile.TemporaryDirectory(prefix="sd-bench-analyze-") as raw:
        commands: dict[tuple[str, int], list[str]] = {}
        for name in SOURCES:
            source = FIXTURES / f"{name}.json"
            commands[name, 1] = [sys.executable, "-m", "doctor", "analyze", str(source)]
            for pods in sizes:
                path = Path(raw) / f"{name}-{pods}.json"
                path.write_text(json.dumps(scaled_document(pods, source)))
                commands[name, pods] = [sys.executable, "-m", "doctor", "analyze", str(path)]
        timed = interleaved_medians({f"{n} {p}": c for (n, p), c in commands.items()}, rounds)
    rows: list[dict[str, Any]] = []
    for name, pods in commands:
        took = timed[f"{name} {pods}"]
        row: dict[str, Any] = {
            "source": name,
            "pods": pods,
            "median_s": round(took.wall_s, 3),
            "cpu_s": round(took.cpu_s, 3),
        }
        if pods > 1:  # what each further 1,000 pods cost since the row above: flat when linear
            previous = rows[-1]
            slope = (took.wall_s - previous["median_s"]) / (pods - previous["pods"]) * 1000
            row["s_per_1000_pods"] = round(slope, 3)
        rows.append(row)
    return rows
