"""collect_bundle: gather this node's facts (timing each layer), re-read the raw files behind
them and write the redacted bundle. What `stackdoctor collect` runs once its options parse."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from doctor.bundle.artifacts import collect_artifacts
from doctor.bundle.writer import write_bundle
from doctor.gather.collect import Progress, collect
from doctor.gather.context import GatherOptions
from doctor.gather.host import Host
from doctor.layers import Layer
from doctor.redact import RedactionPolicy


@dataclass(frozen=True)
class Written:
    """A bundle on disk, as `collect` reports it."""

    path: Path
    files: int
    size: int
    redacted: int  # values replaced, all rules together


def default_path(host: str, now: datetime) -> Path:
    """`stackdoctor-HOST-TIME.tar.gz` in the working directory."""
    return Path(f"stackdoctor-{host}-{now.strftime('%Y%m%dT%H%M%SZ')}.tar.gz")


def collect_bundle(
    options: GatherOptions,
    path: Path | None,
    max_size: int,
    redaction: RedactionPolicy,
    show: Progress | None = None,
) -> Written:
    """Gather, bundle and write to `path` (default_path when None); `show` sees the progress.

    Never fails because a layer could not be examined: a bundle of what could be read is
    what the engineer needs then.
    """
    durations: dict[str, float] = {}
    started: dict[Layer, float] = {}

    def progress(layer: Layer, status: str) -> None:
        # Time each layer for the manifest, and pass the progress on to the display.
        if status == "start":
            started[layer] = time.monotonic()
        else:
            durations[layer.value] = round(
                time.monotonic() - started.get(layer, time.monotonic()), 3
            )
        if show:
            show(layer, status)

    raw: dict[str, bytes] = {}
    document = collect(options, progress, raw)
    artifacts = collect_artifacts(document, Host(options.host_root))
    artifacts.files.update(raw)
    target = path or default_path(document["collected"]["host"], datetime.now(UTC))
    manifest = write_bundle(
        document, artifacts.files, target, max_size=max_size, redaction=redaction,
        layer_durations=durations, unreadable=artifacts.missing,
    )  # fmt: skip
    return Written(
        target,
        files=len(manifest["files"]),
        size=target.stat().st_size,
        redacted=sum(manifest["redaction"]["rules"].values()),
    )
