"""The krew manifest of `kubectl stackdoctor`: krew's v1alpha2 Plugin fields, the package's
version, and the sha256 of the archive scripts/build-krew-archive builds (reproducibly)."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import subprocess
import sys
import tarfile
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

from doctor import __version__
from tests.conftest import REPO

MANIFEST = REPO / "deploy/krew/stackdoctor.yaml"


def builder() -> ModuleType:
    spec = importlib.util.spec_from_loader(
        "build_krew_archive",
        importlib.machinery.SourceFileLoader(
            "build_krew_archive", str(REPO / "scripts/build-krew-archive")
        ),
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(MANIFEST.read_text())
    return loaded


def test_the_manifest_is_a_krew_plugin_of_this_version() -> None:
    plugin = manifest()
    assert plugin["apiVersion"] == "krew.googlecontainertools.github.com/v1alpha2"
    assert plugin["kind"] == "Plugin"
    assert plugin["metadata"]["name"] == "stackdoctor"  # kubectl stackdoctor
    spec = plugin["spec"]
    assert spec["version"] == f"v{__version__}"
    assert len(spec["shortDescription"]) <= 50  # krew-index's limit
    (platform,) = spec["platforms"]
    assert platform["bin"] == "kubectl-stackdoctor"
    assert platform["uri"].startswith("https://") and platform["uri"].endswith(
        f"/v{__version__}/kubectl-stackdoctor-v{__version__}.tar.gz"
    )
    assert {e["key"] for e in platform["selector"]["matchExpressions"]} == {"os"}


def test_its_sha256_is_the_reproducible_archives() -> None:
    build = builder()
    first, second = build.archive_bytes(), build.archive_bytes()
    assert first == second
    (platform,) = manifest()["spec"]["platforms"]
    assert platform["sha256"] == hashlib.sha256(first).hexdigest()
    with tarfile.open(fileobj=io.BytesIO(first)) as tar:
        names = tar.getnames()
        member = tar.getmember("kubectl-stackdoctor")
    assert [f["from"] for f in platform["files"]] == names
    assert member.mode & 0o111


def test_the_launcher_runs_the_plugin(tmp_path: Path) -> None:
    launcher = REPO / "deploy/krew/kubectl-stackdoctor"
    done = subprocess.run(
        [str(launcher), "--help"],
        capture_output=True,
        text=True,
        check=False,
        env={"STACKDOCTOR_PYTHON": sys.executable, "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Usage: kubectl stackdoctor [OPTIONS] POD")
