"""Many bundles at once: each diagnosed on its own (in parallel across cores), then summed up."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from doctor.bundle.layout import APISERVER, FACTS, MANIFEST
from doctor.bundle.safefs import real_directory
from doctor.engine.loader import RuleSet
from doctor.engine.select import RuleChoice
from doctor.errors import BundleError, DoctorError
from doctor.model import Report

log = logging.getLogger(__name__)

BUNDLE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".json")


@dataclass(frozen=True)
class Outcome:
    bundle: str
    report: Report | None
    error: str | None = None


def is_bundle_directory(path: Path) -> bool:
    return real_directory(path) and any(
        (path / name).exists() for name in (FACTS, MANIFEST, APISERVER)
    )


def expand(paths: Sequence[Path]) -> tuple[list[Path], bool]:
    """The bundles named, a directory of bundles opened up; and whether this is a fleet."""
    bundles: list[Path] = []
    fleet = len(paths) > 1
    for path in paths:
        if real_directory(path) and not is_bundle_directory(path):
            fleet = True
            inner = [
                entry
                for entry in sorted(path.iterdir())
                if (entry.is_file() and entry.name.endswith(BUNDLE_SUFFIXES))
                or is_bundle_directory(entry)
            ]
            if not inner:
                raise BundleError(
                    f"{path}: is a directory, but neither a bundle nor a directory of bundles"
                )
            bundles.extend(inner)
        else:
            bundles.append(path)
    return bundles, fleet


@lru_cache(maxsize=4)
def _rules(choice: RuleChoice) -> RuleSet:
    """Loaded once per worker process, whatever the number of bundles it is given."""
    return choice.load()


def analyze(path: Path, choice: RuleChoice, pod: str | None) -> Outcome:
    """One bundle: its report, or the one-line reason it could not be read."""
    from doctor.bundle.source import load_document
    from doctor.diagnosis import diagnose
    from doctor.facts.document import PodRef

    try:
        document = load_document(path)
        report = diagnose(document, _rules(choice), PodRef.parse(pod) if pod else None)
    except DoctorError as exc:
        return Outcome(str(path), None, str(exc))
    except Exception as exc:  # a bug of ours must cost one bundle, not the fleet
        log.debug("analyzing %s failed", path, exc_info=True)
        return Outcome(str(path), None, f"internal error: {type(exc).__name__}: {exc}")
    return Outcome(str(path), report)


def analyze_all(
    paths: Sequence[Path], choice: RuleChoice, pod: str | None, jobs: int | None = None
) -> list[Outcome]:
    """Every bundle, in the order given; in worker processes when there is more than one."""
    workers = min(len(paths), jobs or os.cpu_count() or 1)
    if workers <= 1:
        return [analyze(path, choice, pod) for path in paths]
    # here, not at the top: the pool's imports cost 20-60 ms of every single-file analyze
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    try:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(analyze, path, choice, pod) for path in paths]
            return [future.result() for future in futures]
    except (OSError, BrokenProcessPool) as exc:  # no processes here (sandbox): do it in turn
        log.debug("process pool unavailable (%s); analyzing sequentially", exc)
        return [analyze(path, choice, pod) for path in paths]
