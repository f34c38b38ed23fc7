"""collect_bundle: a live node's bundle, named after the host and the time when no path is
given, its summary taken from what was written, and the progress passed on layer by layer."""

from __future__ import annotations

import json
import tarfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from doctor.bundle.collect import collect_bundle, default_path
from doctor.bundle.limits import DEFAULT_MAX_SIZE
from doctor.layers import Layer
from doctor.redact import RedactionPolicy
from tests.gather.test_collect import kubeadm_node, options


def test_default_path_names_the_host_and_the_utc_time() -> None:
    at = datetime(2026, 11, 29, 14, 5, 2, tzinfo=UTC)
    assert default_path("worker-7", at) == Path("stackdoctor-worker-7-20261129T140502Z.tar.gz")


def test_a_bundle_without_a_path_lands_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = kubeadm_node(tmp_path / "node")
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    shown: list[tuple[Layer, str]] = []
    written = collect_bundle(
        options(root), None, DEFAULT_MAX_SIZE, RedactionPolicy(), lambda *a: shown.append(a)
    )

    (bundle,) = here.iterdir()
    assert written.path == Path(bundle.name) and bundle.name.startswith("stackdoctor-worker-7-")
    assert written.size == bundle.stat().st_size
    with tarfile.open(bundle) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("/manifest.json"))
        manifest = json.load(tar.extractfile(member))  # type: ignore[arg-type]
    assert written.files == len(manifest["files"])
    assert written.redacted == sum(manifest["redaction"]["rules"].values())
    assert (Layer.KUBELET, "start") in shown and (Layer.KUBELET, "ok") in shown
    assert manifest["layers"]["kubelet"]["duration_seconds"] is not None
