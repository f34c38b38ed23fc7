"""The committed CRI stubs are exactly what scripts/gen-protos makes from protos/."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

GENERATED = REPO / "doctor/gather/cri/generated"


def recorded_tools_version() -> str | None:
    """The grpcio-tools version the committed stubs were made with (GRPC_GENERATED_VERSION)."""
    text = (GENERATED / "runtime/v1/api_pb2_grpc.py").read_text()
    found = re.search(r"^GRPC_GENERATED_VERSION = '([^']+)'", text, re.MULTILINE)
    return found.group(1) if found else None


def files_under(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): path.read_text()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def test_committed_stubs_match_a_fresh_generation(tmp_path: Path) -> None:
    pytest.importorskip("grpc_tools", reason="grpcio-tools is a test dependency")
    from importlib.metadata import version

    installed = version("grpcio-tools")
    recorded = recorded_tools_version()
    if installed != recorded:
        pytest.skip(f"stubs were generated with grpcio-tools {recorded}, {installed} is installed")
    subprocess.run(
        [sys.executable, str(REPO / "scripts/gen-protos"), str(tmp_path)],
        check=True,
        capture_output=True,
    )
    fresh, committed = files_under(tmp_path), files_under(GENERATED)
    assert sorted(fresh) == sorted(committed), "stub files differ: rerun scripts/gen-protos"
    for name, text in fresh.items():
        assert committed[name] == text, f"{name} drifted from protos/: rerun scripts/gen-protos"


@pytest.mark.parametrize("version", ["v1", "v1alpha2"])
def test_stubs_import_as_package_relative_modules(version: str) -> None:
    """protoc's absolute `from runtime.vX import` would break inside the doctor package."""
    grpc_module = (GENERATED / f"runtime/{version}/api_pb2_grpc.py").read_text()
    assert "from runtime." not in grpc_module
    assert "from . import api_pb2" in grpc_module
    proto = (REPO / f"protos/runtime/{version}/api.proto").read_text()
    assert f"package runtime.{version};" in proto
