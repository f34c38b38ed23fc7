"""Run the benchmarks: log scanning, rule-engine scaling, `analyze` of 1,000-10,000 pods,
start-up, fleet analysis and the live diagnose on a 50-pod lab, against their baselines.

    python -m bench [--sizes 100,1000,10000] [--repeat 5] [--only analyze-scale ...]
    python -m bench realworld [--misses] [--json]   (the real-world corpus: bench/realworld.py)

Each figure is also given as a ratio against a baseline measured in the same run, because these
machines are noisy and absolute times are only indicative.
"""

from __future__ import annotations

import argparse
import compileall
import json
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

from bench.analyze_scale import analyze_scale
from bench.bundles import fleet
from bench.crictl_walk import versus_crictl
from bench.diagnose_latency import diagnose_latency
from bench.logscan import logscan
from bench.synthetic import synthetic_document
from doctor.diagnosis import diagnose
from doctor.engine.loader import load_rules
from doctor.facts.document import parse_facts

RESULTS = Path(__file__).resolve().parent / "results"
REPO = Path(__file__).resolve().parents[1]
SECTIONS = ("logscan", "engine", "analyze-scale", "startup", "fleet", "diagnose", "crictl")


def _best_of(repeat: int, fn: Any) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def engine_scaling(sizes: list[int]) -> list[dict[str, Any]]:
    rules = load_rules()
    parse_facts(synthetic_document(1), "warm-up")  # import the compiled validator outside timing
    rows = []

    for pods in sizes:
        raw = synthetic_document(pods)
        validate = _best_of(1, lambda raw=raw: parse_facts(raw, "synthetic"))
        facts = parse_facts(raw, "synthetic")
        repeat = 3 if pods <= 1000 else 1
        evaluate = _best_of(repeat, lambda facts=facts: diagnose(facts, rules))
        tracemalloc.start()
        diagnose(facts, rules)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rows.append(
            {
                "pods": pods,
                "containers": pods * 3,
                "rules": len(rules),
                "evaluate_s": round(evaluate, 4),
                "per_pod_us": round(evaluate / pods * 1e6, 1),
                "validate_s": round(validate, 4),
                "eval_peak_mib": round(peak / 2**20, 1),
            }
        )
    return rows


def _command_time(args: list[str], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def startup(repeat: int) -> list[dict[str, Any]]:
    baseline = _command_time([sys.executable, "-c", "pass"], repeat)
    rows = [{"command": "python -c pass", "median_s": round(baseline, 3), "ratio": 1.0}]
    for args in (["--help"], ["rules", "list"]):
        took = _command_time([sys.executable, "-m", "doctor", *args], repeat)
        rows.append(
            {
                "command": "stackdoctor " + " ".join(args),
                "median_s": round(took, 3),
                "ratio": round(took / baseline, 1),
            }
        )
    return rows


def _table(rows: list[dict[str, Any]]) -> str:
    keys = list(dict.fromkeys(k for row in rows for k in row))  # every column any row has
    widths = [max(len(k), *(len(str(r.get(k, ""))) for r in rows)) for k in keys]
    lines = ["  ".join(k.rjust(w) for k, w in zip(keys, widths, strict=True))]
    lines += [
        "  ".join(str(r.get(k, "")).rjust(w) for k, w in zip(keys, widths, strict=True))
        for r in rows
    ]

    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--log-mib", type=int, default=1024, help="size of the kubelet log")
    parser.add_argument("--log-root", default="/var/tmp/stackdoctor-bench", type=Path)
    parser.add_argument("--bundles", type=int, default=100, help="bundles for the fleet run")
    parser.add_argument(
        "--scale-sizes", default="1000,3000,10000", help="pods per document for analyze-scale"
    )

    parser.add_argument(
        "--only", choices=SECTIONS, action="append", help="run only this part (repeatable)"
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    wanted = set(args.only or SECTIONS)
    # What a wheel install does: stale or missing .pyc files (PYTHONDONTWRITEBYTECODE, a
    # fresh checkout) would otherwise be compiled again by every timed run.
    compileall.compile_dir(REPO / "doctor", quiet=1)
    # The log scan first: a child's peak RSS (getrusage) includes the parent's pages at fork,
    # so it must run while this process is still small.
    runs = {
        "logscan": lambda: logscan(args.log_root, args.log_mib << 20),
        "engine": lambda: engine_scaling(sizes),
        "analyze-scale": lambda: analyze_scale(
            [int(s) for s in args.scale_sizes.split(",")], args.repeat
        ),
        "startup": lambda: startup(args.repeat),
        "fleet": lambda: fleet(args.log_root / "bundles", args.bundles),
        "diagnose": lambda: diagnose_latency(max(args.repeat, 11)),
        "crictl": lambda: versus_crictl(max(args.repeat, 11)),
    }
    results = {name: run() for name, run in runs.items() if name in wanted}
    titles = {
        "engine": "Rule engine: full catalog over synthetic pods x 3 containers",
        "analyze-scale": "`stackdoctor analyze` of one document of N copies of a lab pod"
        f" (text report; median of {args.repeat} interleaved runs)",
        "startup": f"Start-up (median of {args.repeat} runs)",
        "logscan": "Log scan: one pod's lines from a kubelet log (stackdoctor reads the 16 MiB"
        " tail)",
        "fleet": "Fleet: analyze a directory of bundles (2 cores)",
        "diagnose": "Live diagnose on the lab (needs root and containerd; median of"
        f" {max(args.repeat, 11)} interleaved runs)",
        "crictl": "Live diagnose of one pod on the lab's real cluster against the real crictl's"
        f" walk of it (root; scripts/build-kube; median of {max(args.repeat, 11)} rounds)",
    }
    for name, title in titles.items():
        if name in results:
            print(title)
            print(_table(results[name]))
            print()

    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    if sys.argv[1:2] == ["realworld"]:  # accuracy, not speed: bench/realworld.py
        from bench import realworld

        sys.exit(realworld.main(sys.argv[2:]))
    main()
