"""`analyze` of many bundles: in parallel across cores vs one after another."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from doctor.bundle.writer import write_bundle

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "scenarios"


def make_bundles(directory: Path, count: int) -> list[Path]:
    """`count` bundles, cycling through the scenario fixtures (real shapes, varied causes)."""
    documents = [
        json.loads(path.read_text())
        for path in sorted(FIXTURES.glob("*.json"))
        if not path.name.endswith(".expected.json")
    ]
    directory.mkdir(parents=True, exist_ok=True)
    bundles = []
    for index in range(count):
        path = directory / f"node-{index:03d}.tar.gz"
        if not path.exists():
            write_bundle(documents[index % len(documents)], {}, path)
        bundles.append(path)
    return bundles


def _timed(args: list[str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(args, capture_output=True, text=True)
    if result.returncode not in (0, 1):
        raise RuntimeError(result.stderr)
    return time.perf_counter() - start


def fleet(directory: Path, count: int) -> list[dict[str, Any]]:
    make_bundles(directory, count)
    base = [sys.executable, "-m", "doctor", "analyze", str(directory), "-o", "json"]
    sequential = _timed([*base, "--jobs", "1"])
    parallel = _timed(base)
    return [
        {
            "bundles": count,
            "sequential_s": round(sequential, 2),
            "parallel_s": round(parallel, 2),
            "speedup": round(sequential / parallel, 2),
        }
    ]
