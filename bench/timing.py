"""Timing whole commands as fresh processes, interleaved round by round.

A noisy moment on a shared machine then costs every command alike, and the median of the
rounds ignores the worst of it. The CPU time the child used (user + system) is kept too: on a
loaded machine it moves far less than the wall clock.

Every module of the package is compiled to bytecode first, as `pip install` does: a checkout
whose sources changed since their .pyc (or a shell with PYTHONDONTWRITEBYTECODE=1, which keeps
any from being written) would otherwise compile them again in every timed run — ~0.1 s of a
0.3 s diagnose, and not what a user's installed stackdoctor does.
"""

from __future__ import annotations

import compileall
import resource
import statistics
import subprocess
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import doctor


@cache
def compile_package() -> None:
    """Write the package's .pyc files, once per bench process (see the module's docstring)."""
    compileall.compile_dir(Path(doctor.__file__).parent, quiet=1)


@dataclass(frozen=True)
class Timed:
    wall_s: float
    cpu_s: float


def run_timed(args: list[str]) -> Timed:
    """Run one command (exit 0 or 1: the findings' verdict) and time it."""
    compile_package()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(args, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode not in (0, 1):
        raise RuntimeError(result.stderr[-2000:])
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timed(wall, cpu)


def interleaved_medians(commands: dict[str, list[str]], rounds: int) -> dict[str, Timed]:
    """Each command's median wall and CPU time over `rounds` rounds of all the commands."""
    samples: dict[str, list[Timed]] = {name: [] for name in commands}
    for _ in range(rounds):
        for name, command in commands.items():
            samples[name].append(run_timed(command))
    return {
        name: Timed(
            statistics.median(t.wall_s for t in timed), statistics.median(t.cpu_s for t in timed)
        )
        for name, timed in samples.items()
    }
